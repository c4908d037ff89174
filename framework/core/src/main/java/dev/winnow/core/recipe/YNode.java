package dev.winnow.core.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The recipe tree: maps, lists and scalars, each remembering where it was written. Scalars keep their YAML
 * type (string, int, float, bool, null) as SnakeYAML's safe resolver decided it.
 */
public sealed interface YNode permits YNode.YMap, YNode.YList, YNode.YScalar {
    Position position();

    /** A human name of the node's shape for error messages. */
    String describe();

    /** A mapping; entries keep their order and the position of their key. */
    record YMap(Map<String, Entry> entries, Position position) implements YNode {
        public YMap {
            entries = new LinkedHashMap<>(entries);
        }

        public @Nullable YNode get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** A map entry: its key's position and its value. */
    record Entry(Position keyPosition, YNode value) {}

    record YList(List<YNode> items, Position position) implements YNode {
        public YList {
            items = new ArrayList<>(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }

    /** A scalar: its text and resolved YAML type. */
    record YScalar(String text, Kind kind, Position position) implements YNode {
        public enum Kind {
            STRING, INT, FLOAT, BOOL, NULL
        }

        @Override
        public String describe() {
            return switch (kind) {
                case STRING -> "the string '" + text + "'";
                case INT -> "the integer " + text;
                case FLOAT -> "the number " + text;
                case BOOL -> "the boolean " + text;
                case NULL -> "null";
            };
        }
    }
}
