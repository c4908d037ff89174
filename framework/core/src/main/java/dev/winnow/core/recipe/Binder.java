package dev.winnow.core.recipe;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.config.ComponentRef;
import dev.winnow.api.config.Range;
import dev.winnow.core.recipe.ConfigKeys.KeySpec;
import dev.winnow.core.recipe.YNode.Entry;
import dev.winnow.core.recipe.YNode.YList;
import dev.winnow.core.recipe.YNode.YMap;
import dev.winnow.core.recipe.YNode.YScalar;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link YNode} tree to config records. It never stops at the first mistake: every problem is recorded
 * with its position, key path and what would be valid, and a value that cannot be bound yields {@code null}.
 */
final class Binder {
    private final ComponentRegistry registry;
    private final List<Problem> problems;
    private final Map<String, Position> positions;

    Binder(ComponentRegistry registry, List<Problem> problems, Map<String, Position> positions) {
        this.registry = registry;
        this.problems = problems;
        this.positions = positions;
    }

    /** Binds a record from a mapping; {@code ignored} keys (such as {@code type} or {@code base}) are skipped. */
    <R extends Record> @Nullable R bindRecord(Class<R> type, YNode node, String path, List<String> ignored) {
        ConfigKeys keys = ConfigKeys.of(type);
        if (!(node instanceof YMap map)) {
            problems.add(new Problem(node.position(), path, "expected a mapping with keys " + keys.names()
                    + ", found " + node.describe()));
            return null;
        }
        positions.putIfAbsent(path, map.position());
        List<String> allowed = keys.names();
        for (Map.Entry<String, Entry> e : map.entries().entrySet()) {
            String key = e.getKey();
            if (!allowed.contains(key) && !ignored.contains(key)) {
                problems.add(new Problem(e.getValue().keyPosition(), join(path, key), "unknown key"
                        + Suggestions.didYouMean(key, allowed) + "; valid keys: " + String.join(", ", allowed)));
            }
        }
        Object[] args = new Object[keys.keys().size()];
        boolean ok = true;
        for (int i = 0; i < args.length; i++) {
            KeySpec spec = keys.keys().get(i);
            String child = join(path, spec.key());
            YNode value = map.get(spec.key());
            boolean absent = value == null || (value instanceof YScalar s && s.kind() == YScalar.Kind.NULL);
            if (absent) {
                if (spec.nullable() && (value != null || spec.defaultValue() == null)) {
                    args[i] = null;
                    if (value != null) {
                        positions.put(child, value.position());
                    }
                    continue;
                }
                if (spec.defaultValue() != null) {
                    value = parseDefault(spec.defaultValue(), child);
                    if (value == null) {
                        ok = false;
                        continue;
                    }
                } else {
                    problems.add(new Problem(map.position(), child, "missing required key"
                            + (spec.doc() == null ? "" : " (" + spec.doc() + ")")));
                    ok = false;
                    continue;
                }
            } else {
                positions.put(child, value.position());
                value = withDefaultType(spec, value);
            }
            Object bound = bind(spec.genericType(), value, child);
            if (bound == null) {
                ok = false;
                continue;
            }
            if (spec.range() != null && !inRange(bound, spec.range(), value.position(), child)) {
                ok = false;
                continue;
            }
            args[i] = bound;
        }
        if (!ok) {
            return null;
        }
        try {
            @SuppressWarnings("unchecked")
            Constructor<R> c = (Constructor<R>) ConfigKeys.canonical(type);
            if (c == null) {
                throw new IllegalStateException("no canonical constructor on " + type.getName());
            }
            c.setAccessible(true);
            return c.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            problems.add(new Problem(map.position(), path, cause.getMessage() == null ? cause.toString() : cause.getMessage()));
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build config record " + type.getName(), e);
        }
    }

    /**
     * A component node given only arguments ({@code loss: {temperature: 0.05}}) keeps the default component
     * ({@code @Default("listwise_ce")}) rather than failing for want of a {@code type}.
     */
    private static YNode withDefaultType(KeySpec spec, YNode value) {
        if (!isComponent(rawClass(spec.genericType())) || spec.defaultValue() == null
                || !(value instanceof YMap map) || map.get("type") != null
                || !spec.defaultValue().matches("[A-Za-z0-9_.-]+")) {
            return value;
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        entries.put("type", new Entry(map.position(), new YScalar(spec.defaultValue(), YScalar.Kind.STRING, map.position())));
        entries.putAll(map.entries());
        return new YMap(entries, map.position());
    }

    private @Nullable YNode parseDefault(String text, String key) {
        List<Problem> local = new ArrayList<>();
        YNode node = new YamlReader(Position.defaultOf(key).file(), local).read(text);
        if (node == null || !local.isEmpty()) {
            throw new IllegalStateException("bad @Default(\"" + text + "\") on " + key + ": " + local);
        }
        return node;
    }

    /** Binds any supported Java type; null means a problem was recorded. */
    @Nullable
    Object bind(Type type, YNode node, String path) {
        Class<?> raw = rawClass(type);
        if (isComponent(raw)) {
            return bindComponent(kindOf(typeArgument(type, 0), path), node, path);
        }
        if (raw == Recipe.DevicesSection.class && node instanceof YScalar s && s.text().trim().equalsIgnoreCase("all")) {
            // `devices: all` is every GPU, data parallel
            Map<String, Entry> all = new LinkedHashMap<>();
            all.put("devices", new Entry(s.position(), new YNode.YList(List.of(s), s.position())));
            all.put("strategy", new Entry(s.position(), new YScalar("data_parallel", YScalar.Kind.STRING, s.position())));
            node = new YMap(all, s.position());
        }
        if (raw.isRecord()) {
            @SuppressWarnings("unchecked")
            Class<? extends Record> rt = (Class<? extends Record>) raw;
            return bindRecord(rt, node, path, List.of());
        }
        if (raw == List.class) {
            Type element = typeArgument(type, 0);
            List<YNode> items;
            if (node instanceof YList list) {
                items = list.items();
            } else if (node instanceof YScalar && !(rawClass(element).isRecord() || rawClass(element) == List.class)) {
                items = List.of(node);
            } else {
                problems.add(new Problem(node.position(), path, "expected a list, found " + node.describe()));
                return null;
            }
            List<Object> out = new ArrayList<>();
            boolean ok = true;
            for (int i = 0; i < items.size(); i++) {
                Object v = bind(element, items.get(i), path + "[" + i + "]");
                if (v == null) {
                    ok = false;
                } else {
                    out.add(v);
                }
            }
            return ok ? List.copyOf(out) : null;
        }
        if (raw == Map.class) {
            if (!(node instanceof YMap map)) {
                problems.add(new Problem(node.position(), path, "expected a mapping, found " + node.describe()));
                return null;
            }
            Type valueType = typeArgument(type, 1);
            Map<String, Object> out = new LinkedHashMap<>();
            boolean ok = true;
            for (Map.Entry<String, Entry> e : map.entries().entrySet()) {
                Object v = bind(valueType, e.getValue().value(), join(path, e.getKey()));
                if (v == null) {
                    ok = false;
                } else {
                    out.put(e.getKey(), v);
                }
            }
            return ok ? java.util.Collections.unmodifiableMap(out) : null;
        }
        if (raw == Object.class) {
            return plain(node);
        }
        if (!(node instanceof YScalar s)) {
            problems.add(new Problem(node.position(), path, "expected " + expected(raw) + ", found " + node.describe()));
            return null;
        }
        return bindScalar(raw, s, path);
    }

    private @Nullable Object bindScalar(Class<?> raw, YScalar s, String path) {
        String text = s.text();
        if (raw == String.class) {
            if (s.kind() == YScalar.Kind.NULL) {
                return mismatch(raw, s, path);
            }
            return text;
        }
        if (raw == Path.class) {
            return s.kind() == YScalar.Kind.STRING ? Path.of(text) : mismatch(raw, s, path);
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            if (s.kind() != YScalar.Kind.INT) {
                return mismatch(raw, s, path);
            }
            try {
                long v = parseLong(text);
                if ((raw == int.class || raw == Integer.class) && (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE)) {
                    problems.add(new Problem(s.position(), path, "the integer " + text + " is too large; at most "
                            + Integer.MAX_VALUE));
                    return null;
                }
                return raw == int.class || raw == Integer.class ? (Object) (int) v : (Object) v;
            } catch (NumberFormatException e) {
                problems.add(new Problem(s.position(), path, "the integer " + text + " is out of range"));
                return null;
            }
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            if (s.kind() != YScalar.Kind.INT && s.kind() != YScalar.Kind.FLOAT) {
                return mismatch(raw, s, path);
            }
            double v = s.kind() == YScalar.Kind.INT ? parseLong(text) : parseDouble(text);
            return raw == float.class || raw == Float.class ? (Object) (float) v : (Object) v;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (s.kind() != YScalar.Kind.BOOL) {
                return mismatch(raw, s, path);
            }
            return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("yes") || text.equalsIgnoreCase("on");
        }
        if (raw.isEnum()) {
            for (Object constant : raw.getEnumConstants()) {
                if (enumId(constant).equalsIgnoreCase(text) || ((Enum<?>) constant).name().equalsIgnoreCase(text)) {
                    return constant;
                }
            }
            List<String> valid = Arrays.stream(raw.getEnumConstants()).map(Binder::enumId).toList();
            problems.add(new Problem(s.position(), path, "'" + text + "' is not valid" + Suggestions.didYouMean(text, valid)
                    + "; valid: " + String.join(", ", valid)));
            return null;
        }
        throw new IllegalStateException("config type " + raw.getName() + " at " + path + " is not supported by the binder");
    }

    private @Nullable Object mismatch(Class<?> raw, YScalar s, String path) {
        problems.add(new Problem(s.position(), path, "expected " + expected(raw) + ", found " + s.describe()));
        return null;
    }

    private @Nullable ComponentSpec<?> bindComponent(ComponentKind<?> kind, YNode node, String path) {
        List<String> ids = registry.ids(kind);
        String id;
        Position idPosition;
        YNode args;
        if (node instanceof YScalar s && s.kind() == YScalar.Kind.STRING) {
            id = s.text();
            idPosition = s.position();
            args = new YMap(Map.of(), s.position());
        } else if (node instanceof YMap map) {
            YNode type = map.get("type");
            if (!(type instanceof YScalar ts) || ts.kind() != YScalar.Kind.STRING) {
                problems.add(new Problem(type == null ? map.position() : type.position(), join(path, "type"),
                        (type == null ? "missing 'type'" : "'type' must be a string") + "; available "
                                + kind.section() + " types: " + String.join(", ", ids)));
                return null;
            }
            id = ts.text();
            idPosition = ts.position();
            args = map;
        } else {
            problems.add(new Problem(node.position(), path, "expected a " + kind.section()
                    + " id or a mapping with 'type', found " + node.describe() + "; available: " + String.join(", ", ids)));
            return null;
        }
        var registration = registry.find(kind, id);
        if (registration.isEmpty()) {
            problems.add(new Problem(idPosition, join(path, "type"), "unknown " + kind.section() + " type '" + id + "'"
                    + Suggestions.didYouMean(id, ids) + "; available: "
                    + (ids.isEmpty() ? "none (no plugin provides one)" : String.join(", ", ids))));
            return null;
        }
        Registration<?, ?> r = registration.get();
        Record config = bindRecord(r.configType(), args, path, List.of("type"));
        if (config == null) {
            return null;
        }
        return newSpec(r, config, node.position());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ComponentSpec<?> newSpec(Registration<?, ?> r, Record config, Position position) {
        return new ComponentSpec(r, config, position);
    }

    private boolean inRange(Object value, Range range, Position position, String path) {
        double v;
        String what;
        if (value instanceof Number n) {
            v = n.doubleValue();
            what = "";
        } else if (value instanceof List<?> l) {
            v = l.size();
            what = "the number of entries ";
        } else {
            return true;
        }
        boolean low = range.minExclusive() ? v > range.min() : v >= range.min();
        boolean high = v <= range.max();
        if (low && high) {
            return true;
        }
        String bound;
        if (range.min() != Double.NEGATIVE_INFINITY && range.max() != Double.POSITIVE_INFINITY) {
            bound = "between " + num(range.min()) + (range.minExclusive() ? " (exclusive)" : "") + " and " + num(range.max());
        } else if (range.min() != Double.NEGATIVE_INFINITY) {
            bound = range.minExclusive() ? "greater than " + num(range.min()) : "at least " + num(range.min());
        } else {
            bound = "at most " + num(range.max());
        }
        problems.add(new Problem(position, path, what + (what.isEmpty() ? num(v) : "(" + num(v) + ")")
                + " is out of range; must be " + bound));
        return false;
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    static String enumId(Object constant) {
        try {
            Method id = constant.getClass().getMethod("id");
            if (id.getReturnType() == String.class) {
                return (String) id.invoke(constant);
            }
        } catch (ReflectiveOperationException e) {
            // no id(): use the name
        }
        return ((Enum<?>) constant).name().toLowerCase(Locale.ROOT);
    }

    static String expected(Class<?> raw) {
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            return "an integer";
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            return "a number";
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return "true or false";
        }
        if (raw == String.class || raw == Path.class) {
            return "a string";
        }
        if (raw.isEnum()) {
            return "one of " + Arrays.stream(raw.getEnumConstants()).map(Binder::enumId).toList();
        }
        return "a " + raw.getSimpleName();
    }

    private static long parseLong(String text) {
        String t = text.replace("_", "");
        if (t.startsWith("0x") || t.startsWith("0X")) {
            return Long.parseLong(t.substring(2), 16);
        }
        if (t.startsWith("0o")) {
            return Long.parseLong(t.substring(2), 8);
        }
        return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    }

    private static double parseDouble(String text) {
        String t = text.replace("_", "").toLowerCase(Locale.ROOT);
        return switch (t) {
            case ".inf", "+.inf" -> Double.POSITIVE_INFINITY;
            case "-.inf" -> Double.NEGATIVE_INFINITY;
            case ".nan" -> Double.NaN;
            default -> Double.parseDouble(t);
        };
    }

    /** The tree as plain Java values, for free-form {@code Object}/{@code Map<String, Object>} keys. */
    static @Nullable Object plain(YNode node) {
        if (node instanceof YMap map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.entries().forEach((k, e) -> out.put(k, plain(e.value())));
            return out;
        }
        if (node instanceof YList list) {
            List<Object> out = new ArrayList<>();
            list.items().forEach(i -> out.add(plain(i)));
            return out;
        }
        YScalar s = (YScalar) node;
        return switch (s.kind()) {
            case INT -> parseLong(s.text());
            case FLOAT -> parseDouble(s.text());
            case BOOL -> s.text().equalsIgnoreCase("true") || s.text().equalsIgnoreCase("yes") || s.text().equalsIgnoreCase("on");
            case NULL -> null;
            case STRING -> s.text();
        };
    }

    private ComponentKind<?> kindOf(Type t, String path) {
        Class<?> raw = rawClass(t);
        for (ComponentKind<?> k : ComponentKind.all()) {
            if (k.type() == raw) {
                return k;
            }
        }
        throw new IllegalStateException("ComponentSpec<" + raw.getName() + "> at " + path + " names no component kind");
    }

    /** A nested component node: {@link ComponentSpec} in core records, its API face {@link ComponentRef} in plugins'. */
    static boolean isComponent(Class<?> raw) {
        return raw == ComponentSpec.class || raw == ComponentRef.class;
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        if (t instanceof WildcardType w) {
            return rawClass(w.getUpperBounds()[0]);
        }
        throw new IllegalStateException("unsupported config type " + t);
    }

    static Type typeArgument(Type t, int index) {
        if (t instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[index];
        }
        return Object.class;
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
