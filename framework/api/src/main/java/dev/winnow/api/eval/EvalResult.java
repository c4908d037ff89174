package dev.winnow.api.eval;

import java.util.Map;

/** Metrics by name ({@code ndcg@10}, {@code mrr@10}, {@code map}), and per-query values for reports. */
public record EvalResult(Map<String, Double> metrics, Map<String, Map<String, Double>> perQuery) {
    public EvalResult {
        // keep the evaluator's order (reports list metrics as the evaluator does)
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
        perQuery = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(perQuery));
    }
}
