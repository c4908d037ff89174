package dev.winnow.formats;

import dev.winnow.api.data.RowException;
import dev.winnow.api.data.RowOrigin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reading typed values out of parsed JSON rows, with messages that name the field, what was expected and what
 * was found. The file and line are added by the framework.
 */
final class Rows {
    private Rows() {}

    /** {@code "qid, docs"}: the fields a row has, for messages about a missing one. */
    static String fieldsPresent(Map<String, ?> object) {
        return object.isEmpty() ? "(none)" : String.join(", ", object.keySet());
    }

    static RowException missing(Map<String, ?> object, String where, String field, String expected) {
        String owner = where.isEmpty() ? "row" : "'" + where + "'";
        return new RowException(owner + " has no '" + field + "' field (" + expected + " expected); fields present: "
                + fieldsPresent(object));
    }

    static RowException wrongType(String where, @Nullable Object value, String expected) {
        return new RowException("'" + where + "' is " + kind(value) + "; expected " + expected);
    }

    /** A required string field. */
    static String string(Map<String, ?> row, String field) {
        if (!row.containsKey(field)) {
            throw missing(row, "", field, "string");
        }
        Object value = row.get(field);
        if (value instanceof String s) {
            return s;
        }
        throw wrongType(field, value, "a string");
    }

    /** A required, non-blank query string. */
    static String query(Map<String, ?> row, String field) {
        String query = string(row, field);
        if (query.isBlank()) {
            throw new RowException("'" + field + "' is empty");
        }
        return query;
    }

    /** An optional string field: absent or null gives null. */
    static @Nullable String optionalString(Map<String, ?> row, String field) {
        Object value = row.get(field);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw wrongType(field, value, "a string");
    }

    /** An optional id: a string or an integral number; absent or null gives null. */
    static @Nullable String optionalId(Map<String, ?> row, String field) {
        return id(row.get(field), field);
    }

    static @Nullable String id(@Nullable Object value, String where) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return Long.toString(n.longValue());
        }
        throw wrongType(where, value, "a string or an integer id");
    }

    /** A text or a list of texts; each text a string or an object with a {@code text} string (and maybe an id). */
    static List<Doc> docs(@Nullable Object value, String where) {
        List<Doc> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                out.add(doc(list.get(i), where + "[" + i + "]"));
            }
        } else if (value instanceof String || value instanceof Map<?, ?>) {
            out.add(doc(value, where));
        } else {
            throw wrongType(where, value, "a string, an array of strings, or an array of objects with 'text'");
        }
        return out;
    }

    /** A document: its text and, when the data gives one, its id. */
    record Doc(String text, @Nullable String id) {}

    @SuppressWarnings("unchecked")
    static Doc doc(@Nullable Object value, String where) {
        if (value instanceof String s) {
            return new Doc(s, null);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, ?> object = (Map<String, ?>) map;
            if (!object.containsKey("text")) {
                throw missing(object, where, "text", "string");
            }
            if (!(object.get("text") instanceof String text)) {
                throw wrongType(where + ".text", object.get("text"), "a string");
            }
            return new Doc(text, id(object.get("id"), where + ".id"));
        }
        throw wrongType(where, value, "a string or an object with 'text'");
    }

    /** A list of numbers (teacher scores). */
    static List<Double> numbers(@Nullable Object value, String where) {
        if (!(value instanceof List<?> list)) {
            throw wrongType(where, value, "an array of numbers");
        }
        List<Double> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            out.add(number(list.get(i), where + "[" + i + "]"));
        }
        return out;
    }

    static double number(@Nullable Object value, String where) {
        if (value instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isFinite(d)) {
                return d;
            }
        }
        throw wrongType(where, value, "a finite number");
    }

    /** A relevance label: a number, a boolean (true = 1) or a string holding a number. */
    static double label(@Nullable Object value, String where) {
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (value instanceof String s) {
            try {
                double d = Double.parseDouble(s.trim());
                if (Double.isFinite(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        if (value instanceof Number) {
            return number(value, where);
        }
        throw wrongType(where, value, "a number label (or true/false)");
    }

    /** The query id: the data's id when it has one, else {@code <file name>:<line>}, stable across runs. */
    static String queryId(@Nullable String fromData, RowOrigin origin) {
        if (fromData != null) {
            return fromData;
        }
        Path name = Path.of(origin.file()).getFileName();
        return (name == null ? origin.file() : name.toString()) + ":" + origin.line();
    }

    /** A generated document id: {@code <query id>#<index in the row>}. */
    static String docId(String queryId, int index) {
        return queryId + "#" + index;
    }

    static String kind(@Nullable Object value) {
        return dev.winnow.api.data.JsonValues.kind(value);
    }
}
