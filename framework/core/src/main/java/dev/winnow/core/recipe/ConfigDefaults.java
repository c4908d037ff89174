package dev.winnow.core.recipe;

import dev.winnow.core.registry.ComponentRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A config record with every key at its default, for components built outside a recipe (inference). */
public final class ConfigDefaults {
    private ConfigDefaults() {}

    public static <R extends Record> R of(Class<R> type) {
        return of(type, Map.of());
    }

    /** A config record from plain values (as a recipe would give them), the rest at defaults. */
    public static <R extends Record> R of(Class<R> type, Map<String, Object> values) {
        List<Problem> problems = new ArrayList<>();
        Position at = new Position("<" + type.getSimpleName() + ">", 1, 1);
        YNode node = tree(values, at);
        R record = new Binder(ComponentRegistry.of(), problems, new LinkedHashMap<>()).bindRecord(type, node, "", List.of());
        if (record == null || !problems.isEmpty()) {
            throw new RecipeException(problems);
        }
        return record;
    }

    private static YNode tree(Object value, Position at) {
        if (value instanceof Map<?, ?> map) {
            Map<String, YNode.Entry> entries = new LinkedHashMap<>();
            map.forEach((k, v) -> entries.put(String.valueOf(k), new YNode.Entry(at, tree(v, at))));
            return new YNode.YMap(entries, at);
        }
        if (value instanceof List<?> list) {
            return new YNode.YList(list.stream().map(v -> tree(v, at)).toList(), at);
        }
        if (value == null) {
            return new YNode.YScalar("null", YNode.YScalar.Kind.NULL, at);
        }
        YNode.YScalar.Kind kind = value instanceof Boolean ? YNode.YScalar.Kind.BOOL
                : value instanceof Integer || value instanceof Long ? YNode.YScalar.Kind.INT
                : value instanceof Number ? YNode.YScalar.Kind.FLOAT : YNode.YScalar.Kind.STRING;
        return new YNode.YScalar(String.valueOf(value), kind, at);
    }
}
