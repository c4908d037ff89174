package dev.winnow.nn;

import dev.winnow.api.UserException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A model's {@code config.json} as an architecture reads it: typed getters whose errors name the file and the key,
 * and checks that refuse, by name, the keys or values an architecture does not implement. Keys the architecture
 * never asks for are ignored (configs carry many that do not change the math, such as {@code torch_dtype}).
 *
 * <pre>{@code
 * HfConfig c = HfConfig.of(json, dir.resolve("config.json"));
 * int hidden = c.integer("hidden_size");
 * double eps = c.number("norm_eps", 1e-5);
 * c.requireOneOf("hidden_activation", "gelu", "gelu_pytorch_tanh");
 * c.refuseIf("use_sliding_window", true, "sliding-window attention is not implemented");
 * }</pre>
 */
public final class HfConfig {
    private final Map<String, Object> json;
    private final Path file;

    private HfConfig(Map<String, Object> json, Path file) {
        this.json = json;
        this.file = file;
    }

    public static HfConfig of(Map<String, Object> json, Path file) {
        return new HfConfig(json, file);
    }

    public Path file() {
        return file;
    }

    public Map<String, Object> json() {
        return json;
    }

    public boolean has(String key) {
        return json.get(key) != null;
    }

    /** A required integer. */
    public int integer(String key) {
        Object v = json.get(key);
        if (v == null) {
            throw error("missing required key '" + key + "'");
        }
        return asInt(key, v);
    }

    /** An integer, or {@code fallback} when absent or null. */
    public int integer(String key, int fallback) {
        Object v = json.get(key);
        return v == null ? fallback : asInt(key, v);
    }

    /** An integer, or null when absent. */
    public @Nullable Integer optionalInteger(String key) {
        Object v = json.get(key);
        return v == null ? null : asInt(key, v);
    }

    /** A required number. */
    public double number(String key) {
        Object v = json.get(key);
        if (v == null) {
            throw error("missing required key '" + key + "'");
        }
        return asDouble(key, v);
    }

    /** A number, or {@code fallback} when absent or null. */
    public double number(String key, double fallback) {
        Object v = json.get(key);
        return v == null ? fallback : asDouble(key, v);
    }

    /** A boolean, or {@code fallback} when absent or null. */
    public boolean bool(String key, boolean fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw error("'" + key + "' must be true or false, found " + v);
    }

    /** A string, or {@code fallback} when absent or null. */
    public String string(String key, String fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw error("'" + key + "' must be a string, found " + v);
    }

    /** A nested mapping, or null when absent or null. */
    @SuppressWarnings("unchecked")
    public @Nullable Map<String, Object> mapping(String key) {
        Object v = json.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw error("'" + key + "' must be a mapping or null, found " + v);
    }

    /** A list, or null when absent or null. */
    public @Nullable List<?> list(String key) {
        Object v = json.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            return l;
        }
        throw error("'" + key + "' must be a list, found " + v);
    }

    /**
     * The string value of {@code key} ({@code fallback} when absent), refused unless it is one of {@code supported}.
     */
    public String oneOf(String key, String fallback, String... supported) {
        String v = string(key, fallback);
        if (!Arrays.asList(supported).contains(v)) {
            throw error(key + " '" + v + "' is not supported; supported: " + String.join(", ", supported));
        }
        return v;
    }

    /** Refuses {@code key} when its value equals {@code value}, saying why (what is not implemented). */
    public void refuseIf(String key, Object value, String why) {
        Object v = json.get(key);
        if (v != null && matches(v, value)) {
            throw error(key + " " + v + " is not supported: " + why);
        }
    }

    /** Refuses {@code key} when it is present and not null, saying why. */
    public void refusePresent(String key, String why) {
        Object v = json.get(key);
        if (v != null) {
            throw error(key + " " + v + " is not supported: " + why);
        }
    }

    /** Fails with a message naming the file unless {@code condition} holds. */
    public void check(boolean condition, String message) {
        if (!condition) {
            throw error(message);
        }
    }

    /** A user error about this file. */
    public UserException error(String message) {
        return new UserException(file + ": " + message);
    }

    private static boolean matches(Object v, Object value) {
        if (v instanceof Number a && value instanceof Number b) {
            return a.doubleValue() == b.doubleValue();
        }
        return v.equals(value);
    }

    private int asInt(String key, Object v) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw error("'" + key + "' must be an integer, found " + v);
    }

    private double asDouble(String key, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw error("'" + key + "' must be a number, found " + v);
    }
}
