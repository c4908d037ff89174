package dev.winnow.core.eval;

import dev.winnow.api.eval.TieBreak;
import dev.winnow.api.eval.ScoredDoc;
import dev.winnow.api.eval.RankingMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {
    /**
     * Hand-checked: d1 .9 rel 0, d2 .8 rel 1, d3 .8 rel 2, d4 .1 rel 0. Ties by id descending put d3 before d2:
     * ranked d1(0) d3(2) d2(1) d4(0).
     */
    static final List<ScoredDoc> DOCS = List.of(
            new ScoredDoc("d1", 0.9, 0), new ScoredDoc("d2", 0.8, 1), new ScoredDoc("d3", 0.8, 2), new ScoredDoc("d4", 0.1, 0));
    static final List<Double> JUDGED = List.of(0.0, 1.0, 2.0, 0.0);

    @Test
    void handCheckedListWithATie() {
        List<ScoredDoc> ranked = RankingMetrics.rank(DOCS, TieBreak.DOC_ID);
        assertEquals(List.of("d1", "d3", "d2", "d4"), ranked.stream().map(ScoredDoc::docId).toList());
        assertEquals(0.5, RankingMetrics.reciprocalRank(ranked, 10), 1e-12); // first relevant at rank 2
        assertEquals(0.0, RankingMetrics.reciprocalRank(ranked, 1), 1e-12);
        assertEquals((1.0 / 2 + 2.0 / 3) / 2, RankingMetrics.averagePrecision(ranked, 2), 1e-12);
        // DCG@3 = 2/log2(3) + 1/log2(4); IDCG@3 = 2/log2(2) + 1/log2(3)
        assertEquals(0.66967181649423, RankingMetrics.ndcg(ranked, 3, JUDGED), 1e-12);
        assertEquals(0.5, RankingMetrics.recall(ranked, 2, 2), 1e-12);
        assertEquals(0.5, RankingMetrics.precision(ranked, 2), 1e-12);
        // ms-swift: gains 2^rel - 1 = 3 and 1 at positions 1 and 2 (0-based), discount log2(pos + 2)
        assertEquals(0.6590018048024133, RankingMetrics.swiftNdcg(ranked), 1e-12);
        assertEquals(0.0, RankingMetrics.topOneAccuracy(ranked));
    }

    @Test
    void worstCaseTiesPutTheLessRelevantFirst() {
        List<ScoredDoc> ranked = RankingMetrics.rank(DOCS, TieBreak.WORST_CASE);
        assertEquals(List.of("d1", "d2", "d3", "d4"), ranked.stream().map(ScoredDoc::docId).toList());
        // DCG@3 = 1/log2(3) + 2/log2(4)
        assertEquals(0.6199062332840657, RankingMetrics.ndcg(ranked, 3, JUDGED), 1e-12);
    }

    @Test
    void inputOrderNeverBreaksTies() {
        List<ScoredDoc> constant = List.of(new ScoredDoc("b", 0, 1), new ScoredDoc("a", 0, 0), new ScoredDoc("c", 0, 0));
        List<ScoredDoc> reversed = List.of(constant.get(2), constant.get(1), constant.get(0));
        assertEquals(RankingMetrics.rank(constant, TieBreak.DOC_ID), RankingMetrics.rank(reversed, TieBreak.DOC_ID));
        // a model that scores everything alike gets the worst case, not the file order's luck
        assertEquals(1.0 / 3, RankingMetrics.reciprocalRank(RankingMetrics.rank(constant, TieBreak.WORST_CASE), 0), 1e-12);
    }

    @Test
    void reproducesTrecEvalOnItsOwnFixtures() throws Exception {
        Path dir = Path.of(System.getProperty("winnow.repo.root", "."), "..", "shared", "datasets", "trec_eval");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("qrels.test")), "trec_eval fixtures not present: " + dir);
        var result = TrecEval.evaluate(TrecEval.readQrels(dir.resolve("qrels.test")),
                TrecEval.readRun(dir.resolve("results.test")), List.of(5, 10));
        // out.test.aq: per query and all, 4 decimals as trec_eval prints them
        Map<String, Map<String, Double>> expected = Map.of(
                "301", Map.of("map", 0.0324, "recip_rank", 0.1667, "P_10", 0.2000, "recall_10", 0.0042, "ndcg", 0.1584, "ndcg_cut_10", 0.1518),
                "302", Map.of("map", 0.4175, "recip_rank", 1.0, "P_5", 0.8, "recall_5", 0.0519, "ndcg", 0.6617, "ndcg_cut_5", 0.8304, "ndcg_cut_10", 0.7530),
                "303", Map.of("map", 0.0858, "recip_rank", 0.0526, "ndcg", 0.3862, "ndcg_cut_10", 0.0),
                "all", Map.of("map", 0.1785, "recip_rank", 0.4064, "P_5", 0.2667, "P_10", 0.3000, "recall_5", 0.0173,
                        "recall_10", 0.0317, "ndcg", 0.4021, "ndcg_cut_5", 0.2768, "ndcg_cut_10", 0.3016));
        expected.forEach((q, metrics) -> metrics.forEach((name, value) ->
                assertEquals(value, result.get(q).get(name), 5e-5, q + " " + name)));
    }

    @Test
    void metricTableShowsTheChange() {
        String t = MetricTable.beforeAfter("metric", Map.of("ndcg@10", 0.5), Map.of("ndcg@10", 0.625));
        assertEquals("metric      before     after    change\nndcg@10     0.5000    0.6250   +0.1250", t);
    }
}
