package dev.winnow.rankingeval;

import dev.winnow.api.config.Doc;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.text.TemplateInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ms-swift's InfoNCE metrics: the mean score (cosine, for an embedding model) of each query's positives and of its
 * negatives, and their difference, the margin. Means are over all (query, document) pairs of each kind.
 */
public final class SimilarityEvaluator implements Evaluator {
    /** Recipe keys of {@code {type: similarity}}. */
    @Doc("mean positive and negative similarity and their margin (ms-swift's InfoNCE metrics)")
    public record Config() {}

    @Override
    public EvalResult evaluate(List<QueryRecord> records, Scorer scorer) {
        List<TemplateInput> pairs = new ArrayList<>();
        List<Boolean> positive = new ArrayList<>();
        for (QueryRecord r : records) {
            for (Candidate c : r.candidates()) {
                pairs.add(new TemplateInput(r.query(), c.text(), r.instruction()));
                positive.add(c.positive());
            }
        }
        float[] scores = pairs.isEmpty() ? new float[0] : scorer.score(pairs);
        double pos = 0;
        double neg = 0;
        int np = 0;
        int nn = 0;
        for (int i = 0; i < scores.length; i++) {
            if (positive.get(i)) {
                pos += scores[i];
                np++;
            } else {
                neg += scores[i];
                nn++;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        double meanPos = np == 0 ? Double.NaN : pos / np;
        double meanNeg = nn == 0 ? Double.NaN : neg / nn;
        m.put("mean_pos_sim", meanPos);
        m.put("mean_neg_sim", meanNeg);
        m.put("margin", meanPos - meanNeg);
        return new EvalResult(m, Map.of());
    }
}
