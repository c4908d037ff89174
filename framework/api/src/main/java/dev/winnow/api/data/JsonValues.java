package dev.winnow.api.data;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Helpers for messages about JSON row values, shared by the framework and format plugins. */
public final class JsonValues {
    private JsonValues() {}

    /** A JSON type name for messages: a string, a number, a boolean, an array, an object or null. */
    public static String kind(@Nullable Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Boolean) {
            return "a boolean";
        } else if (value instanceof List<?>) {
            return "an array";
        } else if (value instanceof Map<?, ?>) {
            return "an object";
        }
        return value.getClass().getSimpleName();
    }
}
