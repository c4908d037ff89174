package dev.winnow.api.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Ranking metrics over one query's ranked list, with trec_eval's definitions: a document is relevant when its
 * relevance is above 0; MAP and recall divide by the number of relevant documents judged for the query, retrieved
 * or not; nDCG uses linear gain (the relevance) with discount {@code log2(rank + 1)} and the ideal ordering of all
 * judged relevances. {@link #swiftNdcg} is ms-swift's full-list variant with gain {@code 2^rel - 1}.
 */
public final class RankingMetrics {
    private RankingMetrics() {}

    /** Sorts by score, descending, breaking ties by {@code tieBreak} (never by input order). */
    public static List<ScoredDoc> rank(List<ScoredDoc> docs, TieBreak tieBreak) {
        Comparator<ScoredDoc> byScore = Comparator.comparingDouble(ScoredDoc::score).reversed();
        Comparator<ScoredDoc> ties = switch (tieBreak) {
            case DOC_ID -> Comparator.comparing(ScoredDoc::docId, Comparator.reverseOrder());
            case WORST_CASE -> Comparator.comparingDouble(ScoredDoc::relevance)
                    .thenComparing(ScoredDoc::docId, Comparator.reverseOrder());
        };
        List<ScoredDoc> out = new ArrayList<>(docs);
        out.sort(byScore.thenComparing(ties));
        return out;
    }

    /** 1 / rank of the first relevant document within the top {@code k} (k <= 0: no cutoff); 0 if none. */
    public static double reciprocalRank(List<ScoredDoc> ranked, int k) {
        int n = cutoff(ranked, k);
        for (int i = 0; i < n; i++) {
            if (ranked.get(i).relevant()) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /** Average precision: the mean over judged relevant documents of the precision at each one's rank. */
    public static double averagePrecision(List<ScoredDoc> ranked, int numRelevant) {
        if (numRelevant == 0) {
            return 0;
        }
        double sum = 0;
        int hits = 0;
        for (int i = 0; i < ranked.size(); i++) {
            if (ranked.get(i).relevant()) {
                hits++;
                sum += (double) hits / (i + 1);
            }
        }
        return sum / numRelevant;
    }

    /** Relevant documents in the top {@code k} over all judged relevant ones. */
    public static double recall(List<ScoredDoc> ranked, int k, int numRelevant) {
        return numRelevant == 0 ? 0 : (double) relevantIn(ranked, k) / numRelevant;
    }

    /** Relevant documents in the top {@code k} over {@code k}. */
    public static double precision(List<ScoredDoc> ranked, int k) {
        return (double) relevantIn(ranked, k) / k;
    }

    /**
     * nDCG at {@code k} (k <= 0: the whole list), trec_eval's {@code ndcg_cut_k}: gain = relevance, discount
     * {@code log2(rank + 1)}, ideal DCG from {@code judged} (every relevance judged for the query) sorted down.
     */
    public static double ndcg(List<ScoredDoc> ranked, int k, List<Double> judged) {
        int n = cutoff(ranked, k);
        double dcg = 0;
        for (int i = 0; i < n; i++) {
            double gain = Math.max(0, ranked.get(i).relevance());
            dcg += gain / log2(i + 2);
        }
        List<Double> ideal = new ArrayList<>(judged);
        ideal.sort(Comparator.reverseOrder());
        int m = k <= 0 ? ideal.size() : Math.min(k, ideal.size());
        double idcg = 0;
        for (int i = 0; i < m; i++) {
            idcg += Math.max(0, ideal.get(i)) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** ms-swift's reranker nDCG: the whole list, gain {@code 2^rel - 1}, discount {@code log2(position + 2)}. */
    public static double swiftNdcg(List<ScoredDoc> ranked) {
        double dcg = 0;
        List<Double> rels = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            double rel = Math.max(0, ranked.get(i).relevance());
            rels.add(rel);
            dcg += (Math.pow(2, rel) - 1) / log2(i + 2);
        }
        rels.sort(Comparator.reverseOrder());
        double idcg = 0;
        for (int i = 0; i < rels.size(); i++) {
            idcg += (Math.pow(2, rels.get(i)) - 1) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** 1 when the top-ranked document is relevant, else 0 (ms-swift's reranker accuracy). */
    public static double topOneAccuracy(List<ScoredDoc> ranked) {
        return !ranked.isEmpty() && ranked.get(0).relevant() ? 1 : 0;
    }

    private static int relevantIn(List<ScoredDoc> ranked, int k) {
        int n = cutoff(ranked, k);
        int hits = 0;
        for (int i = 0; i < n; i++) {
            if (ranked.get(i).relevant()) {
                hits++;
            }
        }
        return hits;
    }

    private static int cutoff(List<ScoredDoc> ranked, int k) {
        return k <= 0 ? ranked.size() : Math.min(k, ranked.size());
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
