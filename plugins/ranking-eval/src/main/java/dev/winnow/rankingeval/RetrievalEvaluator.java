package dev.winnow.rankingeval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import dev.winnow.core.eval.RankingMetrics;
import dev.winnow.core.eval.ScoredDoc;
import dev.winnow.core.eval.TieBreak;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Dense retrieval over a corpus: every distinct candidate text of the records (judged for one query, a distractor
 * for all others) is encoded in chunks, each chunk scored against every query by
 * matrix products and merged into a running top-k per query, so neither the corpus's vectors nor the query x
 * corpus score matrix is ever held whole. Reports nDCG@k, MRR@k and Recall@k for each cutoff and MAP@k_max (trec_eval's
 * definitions over the retrieved list; relevance from the records' labels, a document being identified by its
 * text). Metric names start with {@code retrieval_} ({@code retrieval_ndcg@10}). Ties go by document text ({@code doc_id}) or worst case, never by input order.
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
            @Doc("queries scored together against a corpus chunk") @Default("256") @Range(min = 1) int queryChunk,
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
        // distinct texts, sorted: corpus order (and so every tie) depends on the texts alone
        List<String> corpus = new ArrayList<>(new java.util.TreeSet<>(records.stream()
                .flatMap(r -> r.candidates().stream().map(Candidate::text)).toList()));
        if (evaluated.isEmpty() || corpus.isEmpty()) {
            return new EvalResult(Map.of(PREFIX + "queries", 0.0), Map.of());
        }
        int depth = config.k().stream().mapToInt(Integer::intValue).max().orElse(10);
        List<PriorityQueue<Hit>> top = search(embedder.encodeQueries(evaluated), corpus, embedder, depth);

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
            for (Hit h : top.get(q)) {
                String text = corpus.get(h.doc);
                docs.add(new ScoredDoc(text, h.score, relevance.getOrDefault(text, 0.0)));
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

    /** A retrieved document: corpus index and score. */
    record Hit(int doc, float score) {}

    /**
     * Exact top-{@code depth} of every query over the corpus, in chunks. Each queue's head is its worst kept hit
     * (lowest score; among equal scores the one the tie rule puts last).
     */
    List<PriorityQueue<Hit>> search(float[][] queries, List<String> corpus, EmbeddingScorer embedder, int depth) {
        Comparator<Hit> better = better(corpus);
        List<PriorityQueue<Hit>> top = new ArrayList<>(queries.length);
        for (int q = 0; q < queries.length; q++) {
            top.add(new PriorityQueue<>(depth + 1, better.reversed()));
        }
        int dim = queries[0].length;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int from = 0; from < corpus.size(); from += config.corpusChunk()) {
                int to = Math.min(corpus.size(), from + config.corpusChunk());
                float[][] docs = embedder.encodeDocuments(corpus.subList(from, to));
                try (NDManager chunk = manager.newSubManager()) {
                    NDArray d = chunk.create(flatten(docs, dim), new Shape(docs.length, dim)).transpose();
                    for (int q0 = 0; q0 < queries.length; q0 += config.queryChunk()) {
                        int q1 = Math.min(queries.length, q0 + config.queryChunk());
                        float[] scores = chunk.create(flatten(java.util.Arrays.copyOfRange(queries, q0, q1), dim),
                                new Shape(q1 - q0, dim)).matMul(d).toFloatArray();
                        for (int q = q0; q < q1; q++) {
                            PriorityQueue<Hit> heap = top.get(q);
                            for (int j = 0; j < docs.length; j++) {
                                Hit h = new Hit(from + j, scores[(q - q0) * docs.length + j]);
                                if (heap.size() < depth) {
                                    heap.add(h);
                                } else if (better.compare(h, heap.peek()) < 0) {
                                    heap.poll();
                                    heap.add(h);
                                }
                            }
                        }
                    }
                }
            }
        }
        return top;
    }

    /** Higher score first; equal scores in the tie rule's order (doc_id: texts descending, as trec_eval's ids). */
    private Comparator<Hit> better(List<String> corpus) {
        Comparator<Hit> byScore = (a, b) -> Float.compare(b.score, a.score);
        // worst_case needs relevance, which differs per query: top-k keeps doc-id order, the final rank applies it
        return byScore.thenComparing((a, b) -> corpus.get(b.doc).compareTo(corpus.get(a.doc)));
    }

    private static float[] flatten(float[][] rows, int dim) {
        float[] flat = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * dim, dim);
        }
        return flat;
    }
}
