package dev.winnow.rankingeval;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EmbeddingScorer;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.eval.RankingMetrics;
import dev.winnow.api.eval.ScoredDoc;
import dev.winnow.api.eval.TieBreak;
import dev.winnow.api.eval.TopK;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Dense retrieval over a corpus: every distinct candidate text of the records (judged for one query, a distractor
 * for all others) is encoded in chunks, each chunk scored against every query and merged into a running top-k per
 * query ({@link TopK.Running}), so neither the corpus's vectors nor the query x corpus score matrix is ever held
 * whole. Reports nDCG@k, MRR@k and Recall@k for each cutoff and MAP@k_max (trec_eval's definitions over the
 * retrieved list; relevance from the records' labels, a document being identified by its text). Metric names start
 * with {@code retrieval_} ({@code retrieval_ndcg@10}). Ties go by document text ({@code doc_id}) or worst case,
 * never by input order.
 */
public final class RetrievalEvaluator implements Evaluator {
    /** Metric names start with this, so they sit beside the reranking evaluator's in one table. */
    static final String PREFIX = "retrieval_";

    /** Recipe keys of {@code {type: retrieval}}. */
    @Doc("retrieve from the corpus of all candidate texts by cosine; reports retrieval_ndcg@k, retrieval_mrr@k, "
            + "retrieval_recall@k and retrieval_map@max(k)")
    public record Config(
            @Doc("cutoffs for ndcg@k, mrr@k and recall@k; the largest is also MAP's cutoff and the retrieval depth")
                    @Default("[1, 10, 100]") @Range(min = 1) List<Integer> k,
            @Doc("documents encoded and scored per chunk (bounds memory)") @Default("4096") @Range(min = 1) int corpusChunk,
            @Doc("order of equal scores: doc_id (by document text, as trec_eval by id) or worst_case")
                    @Default("doc_id") TieBreak tieBreak) {}

    private final Config config;

    public RetrievalEvaluator(Config config) {
        this.config = config;
    }

    @Override
    public EvalResult evaluate(List<QueryRecord> records, Scorer scorer) {
        if (!(scorer instanceof EmbeddingScorer embedder)) {
            throw new UserException("evaluator retrieval searches a corpus with an embedding model; a reranker cannot "
                    + "(use evaluator reranking)");
        }
        List<QueryRecord> evaluated = records.stream().filter(r -> !r.positives().isEmpty()).toList();
        // distinct texts, descending: corpus order (and so every tie) depends on the texts alone
        List<String> corpus = new ArrayList<>(new java.util.TreeSet<>(Comparator.<String>reverseOrder()));
        records.forEach(r -> r.candidates().forEach(c -> corpus.add(c.text())));
        List<String> distinct = new ArrayList<>(new java.util.TreeSet<>(corpus).descendingSet());
        corpus.clear();
        corpus.addAll(distinct);
        if (evaluated.isEmpty() || corpus.isEmpty()) {
            return new EvalResult(Map.of(PREFIX + "queries", 0.0), Map.of());
        }
        int depth = config.k().stream().mapToInt(Integer::intValue).max().orElse(10);
        TopK.Hits[] top = search(embedder.encodeQueries(evaluated), corpus, embedder, depth);

        Map<String, Map<String, Double>> perQuery = new LinkedHashMap<>();
        Map<String, Double> sums = new LinkedHashMap<>();
        for (int q = 0; q < evaluated.size(); q++) {
            QueryRecord r = evaluated.get(q);
            Map<String, Double> relevance = new TreeMap<>();
            for (Candidate c : r.candidates()) {
                relevance.merge(c.text(), c.label(), Math::max);
            }
            List<Double> judged = new ArrayList<>(relevance.values());
            int numRelevant = (int) judged.stream().filter(l -> l > 0).count();
            List<ScoredDoc> docs = new ArrayList<>();
            for (int i = 0; i < top[q].size(); i++) {
                String text = corpus.get(top[q].index()[i]);
                docs.add(new ScoredDoc(text, top[q].score()[i], relevance.getOrDefault(text, 0.0)));
            }
            List<ScoredDoc> ranked = RankingMetrics.rank(docs, config.tieBreak());
            Map<String, Double> m = new LinkedHashMap<>();
            for (int k : config.k()) {
                m.put(PREFIX + "ndcg@" + k, RankingMetrics.ndcg(ranked, k, judged));
                m.put(PREFIX + "mrr@" + k, RankingMetrics.reciprocalRank(ranked, k));
                m.put(PREFIX + "recall@" + k, RankingMetrics.recall(ranked, k, numRelevant));
            }
            m.put(PREFIX + "map@" + depth, RankingMetrics.averagePrecision(ranked, numRelevant));
            perQuery.put(r.id(), m);
            m.forEach((name, v) -> sums.merge(name, v, Double::sum));
        }
        Map<String, Double> means = new LinkedHashMap<>();
        sums.forEach((name, v) -> means.put(name, v / evaluated.size()));
        means.put(PREFIX + "queries", (double) evaluated.size());
        means.put(PREFIX + "corpus", (double) corpus.size());
        return new EvalResult(means, perQuery);
    }

    /**
     * Exact top-{@code depth} of every query over the corpus: each corpus chunk is encoded, scored against every
     * query and merged into a running top-k, then dropped. Equal scores keep the lower corpus index, which the
     * corpus order (texts descending) makes trec_eval's order.
     */
    TopK.Hits[] search(float[][] queries, List<String> corpus, EmbeddingScorer embedder, int depth) {
        TopK.Running running = new TopK.Running(queries, depth);
        for (int from = 0; from < corpus.size(); from += config.corpusChunk()) {
            running.offer(embedder.encodeDocuments(corpus.subList(from, Math.min(corpus.size(), from + config.corpusChunk()))));
        }
        return running.hits();
    }
}
