package dev.winnow.rankingeval;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.eval.RankingMetrics;
import dev.winnow.api.eval.ScoredDoc;
import dev.winnow.api.eval.TieBreak;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores every candidate of every query with the model and ranks each query's candidates (ties by document id,
 * as trec_eval, or worst case; never input order). Metrics are means over the evaluated queries: {@code mrr@k},
 * {@code ndcg@k}, {@code recall@k} for each cutoff, {@code map}, {@code mrr} (no cutoff), {@code swift_ndcg}
 * (ms-swift's full-list nDCG, gain 2^rel - 1) and {@code accuracy} (the top document is relevant), plus
 * {@code queries}, the number evaluated.
 */
public final class RerankingEvaluator implements Evaluator {
    /** Recipe keys of {@code {type: reranking}}. */
    @Doc("rerank each query's candidates and report MRR@k, nDCG@k, MAP, Recall@k, ms-swift nDCG and accuracy")
    public record Config(
            @Doc("cutoffs for mrr@k, ndcg@k and recall@k") @Default("[1, 5, 10]") @Range(min = 1) List<Integer> k,
            @Doc("order of equal scores: doc_id (trec_eval) or worst_case") @Default("doc_id") TieBreak tieBreak,
            @Doc("evaluate only queries with at least one relevant candidate (as WikiQA reports)") @Default("true")
                    boolean onlyWithPositive) {}

    private final Config config;

    public RerankingEvaluator(Config config) {
        this.config = config;
    }

    @Override
    public EvalResult evaluate(List<QueryRecord> records, Scorer scorer) {
        List<QueryRecord> evaluated = records.stream()
                .filter(r -> !r.candidates().isEmpty() && (!config.onlyWithPositive() || !r.positives().isEmpty()))
                .toList();
        List<TemplateInput> pairs = new ArrayList<>();
        for (QueryRecord r : evaluated) {
            for (Candidate c : r.candidates()) {
                pairs.add(new TemplateInput(r.query(), c.text(), r.instruction()));
            }
        }
        float[] scores = pairs.isEmpty() ? new float[0] : scorer.score(pairs);
        if (scores.length != pairs.size()) {
            throw new IllegalStateException("the scorer returned " + scores.length + " scores for " + pairs.size() + " pairs");
        }
        Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
        Map<String, Double> sums = new LinkedHashMap<>();
        int offset = 0;
        for (QueryRecord r : evaluated) {
            List<ScoredDoc> docs = new ArrayList<>();
            List<Double> judged = new ArrayList<>();
            for (Candidate c : r.candidates()) {
                docs.add(new ScoredDoc(c.id(), scores[offset++], c.label()));
                judged.add(c.label());
            }
            int numRelevant = (int) judged.stream().filter(l -> l > 0).count();
            List<ScoredDoc> ranked = RankingMetrics.rank(docs, config.tieBreak());
            Map<String, Double> m = new LinkedHashMap<>();
            for (int k : config.k()) {
                m.put("ndcg@" + k, RankingMetrics.ndcg(ranked, k, judged));
                m.put("mrr@" + k, RankingMetrics.reciprocalRank(ranked, k));
                m.put("recall@" + k, RankingMetrics.recall(ranked, k, numRelevant));
            }
            m.put("map", RankingMetrics.averagePrecision(ranked, numRelevant));
            m.put("mrr", RankingMetrics.reciprocalRank(ranked, 0));
            m.put("swift_ndcg", RankingMetrics.swiftNdcg(ranked));
            m.put("accuracy", RankingMetrics.topOneAccuracy(ranked));
            perQuery.put(r.id(), m);
            m.forEach((name, v) -> sums.merge(name, v, Double::sum));
        }
        Map<String, Double> means = new LinkedHashMap<>();
        sums.forEach((name, v) -> means.put(name, v / evaluated.size()));
        means.put("queries", (double) evaluated.size());
        return new EvalResult(means, perQuery);
    }
}
