package dev.winnow.core.recipe;

import dev.winnow.api.ComponentKind;
import dev.winnow.core.recipe.ConfigKeys.KeySpec;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;

/**
 * The recipe reference, generated from the config records themselves: every section key and every registered
 * component's keys with type, default and documentation. The README embeds it and a test keeps them equal.
 */
public final class RecipeReference {
    private RecipeReference() {}

    public static String markdown(ComponentRegistry registry) {
        StringBuilder sb = new StringBuilder();
        sb.append("### Sections\n\n");
        section(sb, "", Recipe.class, new java.util.HashMap<>());
        sb.append("### Components\n\nA component node is `{type: <id>, ...keys}`, or just `<id>` when the defaults suit.\n\n");
        for (ComponentKind<?> kind : ComponentKind.all()) {
            List<? extends Registration<?, ?>> all = registry.all(kind);
            if (all.isEmpty()) {
                continue;
            }
            sb.append("#### ").append(kind.section()).append(": ").append(kind.description()).append("\n\n");
            for (Registration<?, ?> r : all) {
                ConfigKeys keys = ConfigKeys.of(r.configType());
                sb.append("- `").append(r.id()).append('`');
                if (keys.typeDoc() != null) {
                    sb.append(": ").append(keys.typeDoc());
                }
                sb.append('\n');
                for (KeySpec k : keys.keys()) {
                    sb.append("  - `").append(k.key()).append("` (").append(typeName(k.genericType())).append(", ")
                            .append(defaultText(k)).append(")");
                    if (k.doc() != null) {
                        sb.append(": ").append(k.doc());
                    }
                    sb.append('\n');
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void section(StringBuilder sb, String prefix, Class<? extends Record> type, Map<Class<?>, String> printed) {
        ConfigKeys keys = ConfigKeys.of(type);
        sb.append("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (KeySpec k : keys.keys()) {
            sb.append("| `").append(prefix).append(k.key()).append("` | ").append(typeName(k.genericType())).append(" | ")
                    .append(defaultText(k)).append(" | ").append(k.doc() == null ? "" : k.doc().replace("|", "\\|"))
                    .append(" |\n");
        }
        sb.append('\n');
        for (KeySpec k : keys.keys()) {
            Class<?> raw = Binder.rawClass(k.genericType());
            if (raw.isRecord() && raw != type && !Binder.isComponent(raw)) {
                @SuppressWarnings("unchecked")
                Class<? extends Record> nested = (Class<? extends Record>) raw;
                String path = prefix + k.key();
                String earlier = printed.get(nested);
                if (earlier != null) {
                    sb.append("`").append(path).append("`: the same keys as `").append(earlier).append("`.\n\n");
                    continue;
                }
                printed.put(nested, path);
                sb.append("`").append(path).append("`:\n\n");
                section(sb, path + ".", nested, printed);
            }
        }
    }

    private static String defaultText(KeySpec k) {
        if (k.defaultValue() != null) {
            return "`" + k.defaultValue() + "`";
        }
        return k.nullable() ? "optional" : "required";
    }

    static String typeName(Type t) {
        Class<?> raw = Binder.rawClass(t);
        if (Binder.isComponent(raw) && t instanceof ParameterizedType p) {
            Class<?> kindType = Binder.rawClass(p.getActualTypeArguments()[0]);
            for (ComponentKind<?> kind : ComponentKind.all()) {
                if (kind.type() == kindType) {
                    return kind.section() + " component";
                }
            }
            return kindType.getSimpleName() + " component";
        }
        if (raw == List.class) {
            return "list of " + typeName(Binder.typeArgument(t, 0));
        }
        if (raw == Map.class) {
            return "mapping";
        }
        if (raw.isEnum()) {
            return String.join(" \\| ", java.util.Arrays.stream(raw.getEnumConstants()).map(Binder::enumId).toList());
        }
        if (raw == int.class || raw == long.class || raw == Integer.class || raw == Long.class) {
            return "integer";
        }
        if (raw == double.class || raw == float.class || raw == Double.class || raw == Float.class) {
            return "number";
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return "boolean";
        }
        if (raw.isRecord()) {
            return "mapping";
        }
        return raw == Object.class ? "any" : "string";
    }
}
