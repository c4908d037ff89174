package dev.winnow.core.recipe;

import dev.winnow.core.recipe.YNode.Entry;
import dev.winnow.core.recipe.YNode.YList;
import dev.winnow.core.recipe.YNode.YMap;
import dev.winnow.core.recipe.YNode.YScalar;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads YAML text into a {@link YNode} tree with positions. Only SnakeYAML's composer runs (no constructor), so
 * no Java object is ever built from the document; any explicit tag other than YAML's standard ones
 * ({@code !!str}, {@code !!int}, ...) is reported as a problem, as are duplicate keys.
 */
final class YamlReader {
    private static final Set<Tag> STANDARD = Set.of(
            Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.MAP, Tag.SEQ, Tag.TIMESTAMP);

    private final String file;
    private final List<Problem> problems;

    YamlReader(String file, List<Problem> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** Parses {@code text}; returns null (with a problem recorded) when it is not valid YAML. */
    @Nullable
    YNode read(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        options.setNestingDepthLimit(50);
        // Let the composer see every tag so that each one is reported with its position below; nothing is
        // ever constructed from a tag, since only compose() runs.
        options.setTagInspector(tag -> true);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        Node root;
        try {
            root = yaml.compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.add(new Problem(position(m), "", "not valid YAML: " + e.getProblem()));
            return null;
        } catch (YAMLException e) {
            problems.add(new Problem(new Position(file, 1, 1), "", "not valid YAML: " + e.getMessage()));
            return null;
        }
        if (root == null) {
            return new YMap(Map.of(), new Position(file, 1, 1));
        }
        return convert(root);
    }

    private YNode convert(Node node) {
        Position pos = position(node.getStartMark());
        Tag tag = node.getTag();
        if (!STANDARD.contains(tag)) {
            String shown = tag.getValue().startsWith(Tag.PREFIX) ? "!!" + tag.getValue().substring(Tag.PREFIX.length()) : tag.getValue();
            problems.add(new Problem(pos, "", "the tag " + shown + " is not allowed: recipes are plain data "
                    + "(mappings, lists, strings, numbers, booleans); remove the tag"));
        }
        if (node instanceof MappingNode map) {
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (NodeTuple t : map.getValue()) {
                Node k = t.getKeyNode();
                Position kpos = position(k.getStartMark());
                if (!(k instanceof ScalarNode ks)) {
                    problems.add(new Problem(kpos, "", "a key must be a plain string"));
                    continue;
                }
                if (!STANDARD.contains(k.getTag())) {
                    problems.add(new Problem(kpos, "", "the tag " + k.getTag().getValue() + " is not allowed on a key"));
                }
                String key = ks.getValue();
                if (entries.containsKey(key)) {
                    problems.add(new Problem(kpos, key, "duplicate key (first written at "
                            + entries.get(key).keyPosition() + ")"));
                    continue;
                }
                entries.put(key, new Entry(kpos, convert(t.getValueNode())));
            }
            return new YMap(entries, pos);
        }
        if (node instanceof SequenceNode seq) {
            return new YList(seq.getValue().stream().map(this::convert).toList(), pos);
        }
        ScalarNode s = (ScalarNode) node;
        YScalar.Kind kind;
        if (Tag.INT.equals(tag)) {
            kind = YScalar.Kind.INT;
        } else if (Tag.FLOAT.equals(tag)) {
            kind = YScalar.Kind.FLOAT;
        } else if (Tag.BOOL.equals(tag)) {
            kind = YScalar.Kind.BOOL;
        } else if (Tag.NULL.equals(tag)) {
            kind = YScalar.Kind.NULL;
        } else {
            kind = YScalar.Kind.STRING;
        }
        return new YScalar(s.getValue(), kind, pos);
    }

    private Position position(@Nullable Mark mark) {
        return mark == null ? new Position(file, 1, 1) : new Position(file, mark.getLine() + 1, mark.getColumn() + 1);
    }
}
