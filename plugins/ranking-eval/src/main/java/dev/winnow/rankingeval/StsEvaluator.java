package dev.winnow.rankingeval;

import dev.winnow.api.config.Doc;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.text.TemplateInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * STS-style agreement between the model's score (cosine) and labelled pairs' float labels over every (query,
 * document) pair: Pearson's r and Spearman's rho (Pearson of ranks, ties sharing their mean rank), as
 * sentence-transformers' EmbeddingSimilarityEvaluator reports them.
 */
public final class StsEvaluator implements Evaluator {
    /** Recipe keys of {@code {type: sts}}. */
    @Doc("Pearson and Spearman correlation between cosine and the labels of labelled pairs")
    public record Config() {}

    @Override
    public EvalResult evaluate(List<QueryRecord> records, Scorer scorer) {
        List<TemplateInput> pairs = new ArrayList<>();
        List<Double> labels = new ArrayList<>();
        for (QueryRecord r : records) {
            for (Candidate c : r.candidates()) {
                pairs.add(new TemplateInput(r.query(), c.text(), r.instruction()));
                labels.add(c.label());
            }
        }
        float[] scores = pairs.isEmpty() ? new float[0] : scorer.score(pairs);
        double[] x = new double[scores.length];
        double[] y = new double[scores.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = scores[i];
            y[i] = labels.get(i);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("pearson", pearson(x, y));
        m.put("spearman", pearson(ranks(x), ranks(y)));
        m.put("pairs", (double) x.length);
        return new EvalResult(m, Map.of());
    }

    /** Pearson's r; NaN when either side is constant or there are fewer than two pairs. */
    static double pearson(double[] x, double[] y) {
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double mx = Arrays.stream(x).average().orElse(0);
        double my = Arrays.stream(y).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    /** 1-based ranks; tied values share the mean of their ranks. */
    static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length;) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = mean;
            }
            i = j + 1;
        }
        return r;
    }
}
