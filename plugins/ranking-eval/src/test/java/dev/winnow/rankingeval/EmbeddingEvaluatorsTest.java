package dev.winnow.rankingeval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.eval.EmbeddingScorer;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.api.eval.TieBreak;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The retrieval, similarity and STS evaluators on small hand-checked cases. */
class EmbeddingEvaluatorsTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** Vectors looked up by text: queries and documents live in a tiny 2-d space. */
    record Table(Map<String, float[]> vectors) implements EmbeddingScorer {
        @Override
        public float[][] encodeQueries(List<QueryRecord> queries) {
            return queries.stream().map(q -> vectors.get(q.query())).toArray(float[][]::new);
        }

        @Override
        public float[][] encodeDocuments(List<String> documents) {
            return documents.stream().map(vectors::get).toArray(float[][]::new);
        }

        @Override
        public float[] score(List<TemplateInput> pairs) {
            float[] out = new float[pairs.size()];
            for (int i = 0; i < out.length; i++) {
                float[] a = vectors.get(pairs.get(i).query());
                float[] b = vectors.get(pairs.get(i).document());
                out[i] = a[0] * b[0] + a[1] * b[1];
            }
            return out;
        }
    }

    static QueryRecord record(String query, Object... textAndLabel) {
        List<Candidate> c = new ArrayList<>();
        for (int i = 0; i < textAndLabel.length; i += 2) {
            c.add(new Candidate("d" + i, (String) textAndLabel[i], ((Number) textAndLabel[i + 1]).doubleValue(), null));
        }
        return new QueryRecord(query, query, c, null, new RowOrigin("mem", 1));
    }

    @Test
    void retrievalSearchesEveryRecordsDocumentsWithHandCheckedMetrics() {
        // q1 = (1, 0): scores a .9, b .5, c .1, d -.5; relevant: b. q2 = (0, 1): scores d .8, c .6, a .2, b .1; relevant: a
        Table t = new Table(Map.of(
                "q1", new float[] {1, 0}, "q2", new float[] {0, 1},
                "a", new float[] {.9f, .2f}, "b", new float[] {.5f, .1f}, "c", new float[] {.1f, .6f}, "d", new float[] {-.5f, .8f}));
        List<QueryRecord> records = List.of(record("q1", "a", 0, "b", 1), record("q2", "a", 1, "c", 0, "d", 0));
        var config = new RetrievalEvaluator.Config(List.of(1, 2, 4), 3, TieBreak.DOC_ID);
        Map<String, Double> m = new RetrievalEvaluator(config).evaluate(records, t).metrics();
        // q1: b at rank 2 -> RR .5, nDCG@2 = (1/log2 3) / 1; q2: a at rank 3 -> RR 1/3, nDCG@2 = 0, nDCG@4 = .5
        assertEquals((0.5 + 1 / 3.0) / 2, m.get("retrieval_mrr@4"), 1e-9);
        assertEquals(0.0, m.get("retrieval_mrr@1"), 1e-9);
        assertEquals((0.5 + 0) / 2, m.get("retrieval_mrr@2"), 1e-9);
        assertEquals((1 / (Math.log(3) / Math.log(2)) + 0) / 2, m.get("retrieval_ndcg@2"), 1e-9);
        assertEquals((1 / (Math.log(3) / Math.log(2)) + 0.5) / 2, m.get("retrieval_ndcg@4"), 1e-9);
        assertEquals((1 + 0) / 2.0, m.get("retrieval_recall@2"), 1e-9);
        assertEquals((0.5 + 1 / 3.0) / 2, m.get("retrieval_map@4"), 1e-9);
        assertEquals(4.0, m.get("retrieval_corpus"));
        assertEquals(2.0, m.get("retrieval_queries"));
    }

    @Test
    void chunkedTopKEqualsBruteForceIncludingTies() {
        SplittableRandom random = new SplittableRandom(3);
        int docs = 157;
        List<String> corpus = new ArrayList<>();
        java.util.Map<String, float[]> vectors = new java.util.HashMap<>();
        for (int i = 0; i < docs; i++) {
            String text = String.format("doc-%03d", i);
            corpus.add(text);
            // coarse values: many exact ties
            vectors.put(text, new float[] {random.nextInt(5) / 4f, random.nextInt(5) / 4f});
        }
        float[][] queries = new float[23][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = new float[] {random.nextInt(5) / 4f, random.nextInt(5) / 4f};
        }
        Table t = new Table(vectors);
        java.util.Collections.reverse(corpus); // the evaluator's corpus order: texts descending
        for (int chunk : new int[] {1, 10, 64, 1000}) {
            var e = new RetrievalEvaluator(new RetrievalEvaluator.Config(List.of(10), chunk, TieBreak.DOC_ID));
            dev.winnow.api.eval.TopK.Hits[] top = e.search(queries, corpus, t, 10);
            for (int q = 0; q < queries.length; q++) {
                float[] qv = queries[q];
                List<Integer> brute = new ArrayList<>();
                for (int i = 0; i < docs; i++) {
                    brute.add(i);
                }
                brute.sort((a, b) -> {
                    float sa = qv[0] * vectors.get(corpus.get(a))[0] + qv[1] * vectors.get(corpus.get(a))[1];
                    float sb = qv[0] * vectors.get(corpus.get(b))[0] + qv[1] * vectors.get(corpus.get(b))[1];
                    return sa != sb ? Float.compare(sb, sa) : corpus.get(b).compareTo(corpus.get(a));
                });
                List<Integer> got = java.util.Arrays.stream(top[q].index()).boxed().toList();
                assertEquals(brute.subList(0, 10), got, "query " + q + " chunk " + chunk);
            }
        }
    }

    @Test
    void retrievalNeedsAnEmbeddingModel() {
        Scorer reranker = pairs -> new float[pairs.size()];
        UserException e = assertThrows(UserException.class, () -> new RetrievalEvaluator(
                new RetrievalEvaluator.Config(List.of(10), 8, TieBreak.DOC_ID)).evaluate(List.of(record("q", "a", 1)), reranker));
        assertEquals(true, e.getMessage().contains("reranking"), e.getMessage());
    }

    @Test
    void similarityReportsMeanPositiveAndNegativeScoresAndTheirMargin() {
        Table t = new Table(Map.of("q1", new float[] {1, 0}, "a", new float[] {.9f, 0}, "b", new float[] {.5f, 0}, "c", new float[] {-.1f, 0}));
        Map<String, Double> m = new SimilarityEvaluator().evaluate(List.of(record("q1", "a", 1, "b", 0, "c", 0)), t).metrics();
        assertEquals(.9, m.get("mean_pos_sim"), 1e-6);
        assertEquals(.2, m.get("mean_neg_sim"), 1e-6);
        assertEquals(.7, m.get("margin"), 1e-6);
    }

    @Test
    void stsCorrelationsMatchHandComputedValues() {
        // x = 1, 2, 3, 4 against y = 1, 3, 2, 5: r = 0.8315..., rho = 0.8
        double[] x = {1, 2, 3, 4};
        double[] y = {1, 3, 2, 5};
        assertEquals(5.5 / Math.sqrt(5 * 8.75), StsEvaluator.pearson(x, y), 1e-12);
        assertEquals(0.8, StsEvaluator.pearson(StsEvaluator.ranks(x), StsEvaluator.ranks(y)), 1e-12);
        assertEquals(List.of(1.5, 1.5, 3.0), java.util.Arrays.stream(StsEvaluator.ranks(new double[] {7, 7, 9})).boxed().toList());
        Table t = new Table(Map.of("q", new float[] {1, 0}, "a", new float[] {1, 0}, "b", new float[] {2, 0}, "c", new float[] {3, 0},
                "d", new float[] {4, 0}));
        Map<String, Double> m = new StsEvaluator().evaluate(List.of(record("q", "a", 1, "b", 3, "c", 2, "d", 5)), t).metrics();
        assertEquals(5.5 / Math.sqrt(5 * 8.75), m.get("pearson"), 1e-6);
        assertEquals(0.8, m.get("spearman"), 1e-9);
    }
}
