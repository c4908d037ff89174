package dev.winnow.rankingeval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.eval.TieBreak;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RerankingEvaluatorTest {
    static QueryRecord record(String id, String query, Candidate... docs) {
        return new QueryRecord(id, query, List.of(docs), null, new RowOrigin("t.jsonl", 1));
    }

    /** Scores a document by the number at the end of its text. */
    static final Scorer BY_TEXT = pairs -> {
        float[] s = new float[pairs.size()];
        for (int i = 0; i < s.length; i++) {
            String t = pairs.get(i).document();
            s[i] = Float.parseFloat(t.substring(t.lastIndexOf(' ') + 1));
        }
        return s;
    };

    @Test
    void meansOverQueriesWithAPositive() {
        List<QueryRecord> records = List.of(
                // q1: positive ranked 2nd -> mrr 0.5, ndcg@10 = (1/log2 3) / 1
                record("q1", "a", new Candidate("x", "doc 0.9", 0, null), new Candidate("y", "doc 0.5", 1, null)),
                // q2: positive first -> mrr 1, ndcg 1
                record("q2", "b", new Candidate("x", "doc 0.1", 0, null), new Candidate("y", "doc 0.7", 1, null)),
                // q3: no positive: not evaluated
                record("q3", "c", new Candidate("x", "doc 0.1", 0, null)));
        EvalResult r = new RerankingEvaluator(new RerankingEvaluator.Config(List.of(1, 10), TieBreak.DOC_ID, true))
                .evaluate(records, BY_TEXT);
        assertEquals(2.0, r.metrics().get("queries"));
        assertEquals(0.75, r.metrics().get("mrr@10"), 1e-12);
        assertEquals(0.5, r.metrics().get("mrr@1"), 1e-12);
        assertEquals((1 / (Math.log(3) / Math.log(2)) + 1) / 2, r.metrics().get("ndcg@10"), 1e-12);
        assertEquals(0.75, r.metrics().get("map"), 1e-12);
        assertEquals(0.5, r.metrics().get("accuracy"), 1e-12);
        assertEquals(Map.of("ndcg@1", 0.0, "mrr@1", 0.0, "recall@1", 0.0), Map.of(
                "ndcg@1", r.perQuery().get("q1").get("ndcg@1"), "mrr@1", r.perQuery().get("q1").get("mrr@1"),
                "recall@1", r.perQuery().get("q1").get("recall@1")));
    }

    @Test
    void aConstantScorerGetsNoCreditFromFileOrder() {
        // The positive is listed first; a model scoring everything 0 must not be rewarded for that.
        List<QueryRecord> records = List.of(record("q", "a", new Candidate("a", "doc 0", 1, null),
                new Candidate("b", "doc 0", 0, null), new Candidate("c", "doc 0", 0, null)));
        var worst = new RerankingEvaluator(new RerankingEvaluator.Config(List.of(10), TieBreak.WORST_CASE, true))
                .evaluate(records, BY_TEXT);
        assertEquals(1.0 / 3, worst.metrics().get("mrr@10"), 1e-12);
        var byId = new RerankingEvaluator(new RerankingEvaluator.Config(List.of(10), TieBreak.DOC_ID, true))
                .evaluate(records, BY_TEXT);
        assertEquals(1.0 / 3, byId.metrics().get("mrr@10"), 1e-12); // ids descending: c, b, a
    }
}
