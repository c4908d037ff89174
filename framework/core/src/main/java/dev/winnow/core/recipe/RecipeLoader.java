package dev.winnow.core.recipe;

import dev.winnow.core.recipe.YNode.Entry;
import dev.winnow.core.recipe.YNode.YList;
import dev.winnow.core.recipe.YNode.YMap;
import dev.winnow.core.recipe.YNode.YScalar;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Loads a recipe: YAML with positions, {@code base:} inheritance (maps merged key by key, lists and scalars
 * replaced), {@code key.path=value} overrides, {@code ${VAR}} / {@code ${VAR:-default}} references, binding to
 * {@link Recipe}, and the cross-field {@link RecipeCheck}s. Every problem is collected before anything fails.
 */
public final class RecipeLoader {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final ComponentRegistry registry;
    private final Map<String, String> environment;
    private final List<RecipeCheck> checks;

    public RecipeLoader(ComponentRegistry registry) {
        this(registry, System.getenv(), RecipeCheck.builtIn());
    }

    public RecipeLoader(ComponentRegistry registry, Map<String, String> environment, List<RecipeCheck> checks) {
        this.registry = registry;
        this.environment = Map.copyOf(environment);
        this.checks = List.copyOf(checks);
    }

    /** Loads, binds and validates; throws {@link RecipeException} listing every problem. */
    public LoadedRecipe load(Path file, List<String> overrides) {
        List<Problem> problems = new ArrayList<>();
        YNode tree = resolveTree(file, overrides, problems);
        Map<String, Position> positions = new LinkedHashMap<>();
        Recipe recipe = null;
        if (tree != null) {
            recipe = new Binder(registry, problems, positions).bindRecord(Recipe.class, tree, "", List.of("base"));
        }
        Record modelOptions = null;
        boolean provisional = false;
        YNode optionsNode = tree instanceof YMap root && root.get("model") instanceof YMap model ? model.get("options") : null;
        if (recipe != null) {
            // what the architecture decides: the keys of model.options and, when the recipe names none, the template
            var architecture = ArchitectureBinding.resolve(recipe.model(), registry);
            if (architecture.isPresent()) {
                modelOptions = ArchitectureBinding.bindOptions(architecture.get(), optionsNode, registry, problems, positions, file);
            }
            provisional = recipe.template() == null && architecture.isEmpty();
            if (recipe.template() == null) {
                var template = ArchitectureBinding.defaultTemplate(recipe.task(), architecture, registry,
                        positions.getOrDefault("task", new Position(file.toString(), 1, 1)), problems);
                recipe = template == null ? null : recipe.withTemplate(template);
            }
        }
        if (recipe != null) {
            for (RecipeCheck check : checks) {
                check.check(recipe, new RecipeCheck.Context(positions, file), problems);
            }
        }
        if (!problems.isEmpty() || recipe == null) {
            if (problems.isEmpty()) {
                problems.add(new Problem(new Position(file.toString(), 1, 1), "", "the recipe could not be bound"));
            }
            throw new RecipeException(problems);
        }
        return new LoadedRecipe(file, recipe, positions, modelOptions, optionsNode, provisional);
    }

    /** The merged tree before binding: inheritance, overrides and environment references applied. */
    @Nullable
    YNode resolveTree(Path file, List<String> overrides, List<Problem> problems) {
        YNode tree = readWithBases(file.toAbsolutePath().normalize(), new LinkedHashSet<>(), problems, null);
        if (tree == null) {
            return null;
        }
        for (String override : overrides) {
            tree = applyOverride(tree, override, problems);
        }
        return substitute(tree, problems);
    }

    private @Nullable YNode readWithBases(Path file, Set<Path> chain, List<Problem> problems, @Nullable Position from) {
        if (!chain.add(file)) {
            List<String> names = new ArrayList<>();
            chain.forEach(p -> names.add(p.getFileName().toString()));
            problems.add(new Problem(from == null ? new Position(file.toString(), 1, 1) : from, "base",
                    "inheritance cycle: " + String.join(" -> ", names) + " -> " + file.getFileName()));
            return null;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            problems.add(new Problem(from == null ? new Position(file.toString(), 1, 1) : from, from == null ? "" : "base",
                    "recipe file not found: " + file));
            return null;
        } catch (IOException e) {
            problems.add(new Problem(new Position(file.toString(), 1, 1), "", "cannot read the recipe: " + e.getMessage()));
            return null;
        }
        YNode node = new YamlReader(file.toString(), problems).read(text);
        if (node == null) {
            return null;
        }
        if (!(node instanceof YMap map)) {
            problems.add(new Problem(node.position(), "", "a recipe is a mapping of sections (model, task, data, ...), found "
                    + node.describe()));
            return null;
        }
        YNode base = map.get("base");
        if (base == null) {
            return map;
        }
        if (!(base instanceof YScalar bs) || bs.kind() != YScalar.Kind.STRING) {
            problems.add(new Problem(base.position(), "base", "expected the path of another recipe, found " + base.describe()));
            return map;
        }
        Path parentFile = file.getParent().resolve(bs.text()).normalize();
        YNode parent = readWithBases(parentFile, new LinkedHashSet<>(chain), problems, bs.position());
        if (!(parent instanceof YMap pm)) {
            return map;
        }
        Map<String, Entry> own = new LinkedHashMap<>(map.entries());
        own.remove("base");
        return merge(pm, new YMap(own, map.position()));
    }

    /** Child wins; maps merge key by key; lists and scalars replace. */
    static YMap merge(YMap parent, YMap child) {
        Map<String, Entry> out = new LinkedHashMap<>(parent.entries());
        out.remove("base");
        for (Map.Entry<String, Entry> e : child.entries().entrySet()) {
            Entry existing = out.get(e.getKey());
            if (existing != null && existing.value() instanceof YMap pm && e.getValue().value() instanceof YMap cm) {
                out.put(e.getKey(), new Entry(e.getValue().keyPosition(), merge(pm, cm)));
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        return new YMap(out, child.position());
    }

    private YNode applyOverride(YNode tree, String override, List<Problem> problems) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            problems.add(new Problem(Position.COMMAND_LINE, override, "an override is key.path=value, such as train.optimizer.lr=1e-5"));
            return tree;
        }
        String path = override.substring(0, eq).trim();
        String valueText = override.substring(eq + 1);
        YNode value = new YamlReader("<command line: " + path + ">", problems).read(valueText.isEmpty() ? "''" : valueText);
        if (value == null) {
            return tree;
        }
        String[] keys = path.split("\\.");
        if (!(tree instanceof YMap root)) {
            return tree;
        }
        return set(root, keys, 0, value, override, problems);
    }

    private YMap set(YMap map, String[] keys, int i, YNode value, String override, List<Problem> problems) {
        Map<String, Entry> entries = new LinkedHashMap<>(map.entries());
        Position pos = new Position("<command line: " + override + ">", 1, 1);
        if (i == keys.length - 1) {
            entries.put(keys[i], new Entry(pos, value));
        } else {
            Entry existing = entries.get(keys[i]);
            YMap child;
            if (existing == null) {
                child = new YMap(Map.of(), pos);
            } else if (existing.value() instanceof YMap m) {
                child = m;
            } else if (existing.value() instanceof YScalar s && s.kind() == YScalar.Kind.STRING) {
                // a component given by id alone (loss: listwise_ce) gains arguments: {type: listwise_ce, ...}
                Map<String, Entry> typed = new LinkedHashMap<>();
                typed.put("type", new Entry(s.position(), s));
                child = new YMap(typed, s.position());
            } else {
                problems.add(new Problem(pos, String.join(".", java.util.Arrays.copyOf(keys, i + 1)),
                        "cannot set a key inside " + existing.value().describe()));
                return map;
            }
            entries.put(keys[i], new Entry(existing == null ? pos : existing.keyPosition(),
                    set(child, keys, i + 1, value, override, problems)));
        }
        return new YMap(entries, map.position());
    }

    private YNode substitute(YNode node, List<Problem> problems) {
        if (node instanceof YMap map) {
            Map<String, Entry> out = new LinkedHashMap<>();
            map.entries().forEach((k, e) -> out.put(k, new Entry(e.keyPosition(), substitute(e.value(), problems))));
            return new YMap(out, map.position());
        }
        if (node instanceof YList list) {
            return new YList(list.items().stream().map(n -> substitute(n, problems)).toList(), list.position());
        }
        YScalar s = (YScalar) node;
        if (s.kind() != YScalar.Kind.STRING || !s.text().contains("${")) {
            return s;
        }
        Matcher m = ENV.matcher(s.text());
        StringBuilder sb = new StringBuilder();
        boolean ok = true;
        while (m.find()) {
            String value = environment.get(m.group(1));
            if (value == null || (value.isEmpty() && m.group(2) != null)) {
                value = m.group(2);
            }
            if (value == null) {
                problems.add(new Problem(s.position(), "", "environment variable " + m.group(1)
                        + " is not set; set it or write ${" + m.group(1) + ":-default}"));
                ok = false;
                value = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        if (!ok) {
            return s;
        }
        String text = sb.toString();
        return new YScalar(text, implicitKind(text), s.position());
    }

    /** YAML 1.1's implicit types for a substituted plain value, so ${BATCH:-8} binds as an integer. */
    static YScalar.Kind implicitKind(String text) {
        if (text.matches("[-+]?(0|[1-9][0-9_]*)")) {
            return YScalar.Kind.INT;
        }
        if (text.matches("[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*([eE][-+]?[0-9]+)")) {
            return YScalar.Kind.FLOAT;
        }
        if (text.matches("true|True|TRUE|false|False|FALSE")) {
            return YScalar.Kind.BOOL;
        }
        return YScalar.Kind.STRING;
    }
}
