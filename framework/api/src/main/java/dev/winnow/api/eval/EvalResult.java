package dev.winnow.api.eval;

import java.util.Map;

/** Metrics by name ({@code ndcg@10}, {@code mrr@10}, {@code map}), and per-query values for reports. */
public record EvalResult(Map<String, Double> metrics, Map<String, Map<String, Double>> perQuery) {
    public EvalResult {
        metrics = Map.copyOf(metrics);
        perQuery = Map.copyOf(perQuery);
    }
}
