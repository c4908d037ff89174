package dev.winnow.formats;

import dev.winnow.api.data.RowException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A path into a JSON row: field names joined by dots, each optionally followed by {@code []} (every element of
 * an array) or {@code [n]} (one element, 0-based). Examples: {@code query}, {@code meta.qid},
 * {@code docs[].text}, {@code passages[0].text}, {@code groups[].docs[].text}.
 */
public final class FieldPath {
    /** One step: a field name, every element, or one element. */
    private sealed interface Step permits Field, Each, Index {}

    private record Field(String name) implements Step {}

    private record Each() implements Step {}

    private record Index(int index) implements Step {}

    /** A value found by a path, with the concrete place it was found ({@code docs[3].label}) for messages. */
    public record Located(@Nullable Object value, String where) {}

    private final String text;
    private final List<Step> steps;

    private FieldPath(String text, List<Step> steps) {
        this.text = text;
        this.steps = steps;
    }

    /**
     * Parses a path.
     *
     * @throws IllegalArgumentException with a message saying what is wrong and where
     */
    public static FieldPath parse(String text) {
        List<Step> steps = new ArrayList<>();
        int i = 0;
        int n = text.length();
        if (n == 0) {
            throw new IllegalArgumentException("the path is empty");
        }
        while (true) {
            int start = i;
            while (i < n && text.charAt(i) != '.' && text.charAt(i) != '[' && text.charAt(i) != ']') {
                i++;
            }
            if (i == start) {
                throw new IllegalArgumentException("expected a field name at position " + (start + 1));
            }
            steps.add(new Field(text.substring(start, i).trim()));
            while (i < n && text.charAt(i) == '[') {
                int close = text.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("'[' at position " + (i + 1) + " is not closed");
                }
                String inside = text.substring(i + 1, close).trim();
                if (inside.isEmpty()) {
                    steps.add(new Each());
                } else {
                    try {
                        int index = Integer.parseInt(inside);
                        if (index < 0) {
                            throw new NumberFormatException();
                        }
                        steps.add(new Index(index));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'[" + inside + "]' at position " + (i + 1)
                                + " must be [] or [n] with n a non-negative integer");
                    }
                }
                i = close + 1;
            }
            if (i == n) {
                break;
            }
            if (text.charAt(i) != '.') {
                throw new IllegalArgumentException("unexpected '" + text.charAt(i) + "' at position " + (i + 1));
            }
            i++;
            if (i == n) {
                throw new IllegalArgumentException("the path ends with '.'");
            }
        }
        return new FieldPath(text, List.copyOf(steps));
    }

    /** Whether the path can name several values ({@code []} somewhere). */
    public boolean iterates() {
        return steps.stream().anyMatch(s -> s instanceof Each);
    }

    /**
     * Every value the path names in {@code row}, in document order.
     *
     * @param required whether a missing field or element is an error; if not, it gives a null value (so that
     *     values of parallel paths stay aligned), and a missing array gives no values
     * @throws RowException naming the concrete place where the row does not fit the path
     */
    @SuppressWarnings("unchecked")
    public List<Located> find(Map<String, ?> row, boolean required) {
        List<Located> current = List.of(new Located(row, ""));
        for (Step step : steps) {
            List<Located> next = new ArrayList<>(current.size());
            for (Located at : current) {
                Object value = at.value();
                if (value == null && !required && !at.where().isEmpty()) {
                    if (step instanceof Field field) {
                        next.add(new Located(null, at.where() + "." + field.name()));
                    } else if (step instanceof Index index) {
                        next.add(new Located(null, at.where() + "[" + index.index() + "]"));
                    }
                    continue;
                }
                if (step instanceof Field field) {
                    if (!(value instanceof Map<?, ?> map)) {
                        throw Rows.wrongType(at.where(), value, "an object with '" + field.name() + "'");
                    }
                    String where = at.where().isEmpty() ? field.name() : at.where() + "." + field.name();
                    if (map.containsKey(field.name())) {
                        next.add(new Located(map.get(field.name()), where));
                    } else if (required) {
                        String owner = at.where().isEmpty() ? "row" : "'" + at.where() + "'";
                        throw new RowException(owner + " has no '" + field.name() + "' field (path '" + text
                                + "'); fields present: " + Rows.fieldsPresent((Map<String, ?>) map));
                    } else {
                        next.add(new Located(null, where));
                    }
                } else if (step instanceof Index index) {
                    if (!(value instanceof List<?> list)) {
                        throw Rows.wrongType(at.where(), value, "an array");
                    }
                    String where = at.where() + "[" + index.index() + "]";
                    if (index.index() < list.size()) {
                        next.add(new Located(list.get(index.index()), where));
                    } else if (required) {
                        throw new RowException("'" + at.where() + "' has " + list.size()
                                + " elements; there is no " + where);
                    } else {
                        next.add(new Located(null, where));
                    }
                } else {
                    if (!(value instanceof List<?> list)) {
                        throw Rows.wrongType(at.where(), value, "an array");
                    }
                    for (int i = 0; i < list.size(); i++) {
                        next.add(new Located(list.get(i), at.where() + "[" + i + "]"));
                    }
                }
            }
            current = next;
        }
        return current;
    }

    @Override
    public String toString() {
        return text;
    }
}
