package dev.winnow.core.eval;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A text table of metrics before and after training, with the difference. */
public final class MetricTable {
    private MetricTable() {}

    public static String beforeAfter(String title, Map<String, Double> before, Map<String, Double> after) {
        Set<String> names = new LinkedHashSet<>(after.keySet());
        names.addAll(before.keySet());
        List<String> rows = new ArrayList<>();
        int width = Math.max(8, names.stream().mapToInt(String::length).max().orElse(8));
        rows.add(String.format(Locale.ROOT, "%-" + width + "s  %8s  %8s  %8s", title, "before", "after", "change"));
        for (String n : names) {
            Double b = before.get(n);
            Double a = after.get(n);
            rows.add(String.format(Locale.ROOT, "%-" + width + "s  %8s  %8s  %8s", n, fmt(b), fmt(a),
                    a == null || b == null ? "" : String.format(Locale.ROOT, "%+.4f", a - b)));
        }
        return String.join("\n", rows);
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }
}
