package dev.winnow.core.mine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a mining pass found.
 *
 * @param queries queries mined
 * @param queriesWithoutPositive queries that had no known positive (nothing excluded, no margin)
 * @param corpusSize distinct documents searched
 * @param corpusSource where they came from
 * @param corpusDuplicates documents whose text repeated one already in the corpus (searched once)
 * @param positivesAdded training positives added to a corpus file that lacked them
 * @param topK documents retrieved per query
 * @param rangeMin first rank sampled from (0-based)
 * @param rangeMax end of the sampled ranks (exclusive)
 * @param numNegatives negatives requested per query
 * @param negatives negatives sampled in all
 * @param queriesShort queries that got fewer than numNegatives
 * @param negativesMissing negatives short of numNegatives, summed over queries
 * @param meanRank mean 1-based retrieval rank of the sampled negatives (NaN when none)
 * @param meanNegativeScore mean score of the sampled negatives (NaN when none)
 * @param meanPositiveScore mean score of the known positives (NaN when none)
 * @param positives known positives (distinct texts per query)
 * @param positivesInTopK of those, how many were among the top_k retrieved
 * @param positivesInWindow positives met in the sampled window and left out
 * @param queryTextInWindow documents equal to the query text met in the window and left out
 * @param droppedByMargin candidates left out by the margin
 * @param truncated texts truncated to max_length while encoding
 */
public record MineStats(long queries, long queriesWithoutPositive, int corpusSize, String corpusSource,
        long corpusDuplicates, long positivesAdded, int topK, int rangeMin, int rangeMax, int numNegatives,
        long negatives, long queriesShort, long negativesMissing, double meanRank, double meanNegativeScore,
        double meanPositiveScore, long positives, long positivesInTopK, long positivesInWindow,
        long queryTextInWindow, long droppedByMargin, long truncated) {

    /** Recall@top_k of the known positives. */
    public double recallAtK() {
        return positives == 0 ? Double.NaN : (double) positivesInTopK / positives;
    }

    /** The report, one fact a line. */
    public List<String> lines() {
        List<String> l = new ArrayList<>();
        l.add(String.format(Locale.ROOT, "queries: %d (%d without a known positive)", queries, queriesWithoutPositive));
        l.add(String.format(Locale.ROOT, "corpus: %d distinct documents from %s (%d repeated texts merged%s)", corpusSize,
                corpusSource, corpusDuplicates, positivesAdded > 0 ? ", " + positivesAdded + " training positives added" : ""));
        l.add(String.format(Locale.ROOT, "retrieved top %d per query; negatives sampled from ranks [%d, %d)", topK,
                rangeMin, rangeMax));
        l.add(String.format(Locale.ROOT, "known positives in the top %d: %d of %d (recall@%d %.4f)", topK, positivesInTopK,
                positives, topK, recallAtK()));
        l.add(String.format(Locale.ROOT, "negatives: %d sampled (%d requested per query); %d queries got fewer (%d short)",
                negatives, numNegatives, queriesShort, negativesMissing));
        l.add(String.format(Locale.ROOT, "mean rank of sampled negatives: %.1f (1 = top hit); mean score %.4f vs %.4f for positives",
                meanRank, meanNegativeScore, meanPositiveScore));
        l.add(String.format(Locale.ROOT, "left out of the window: %d known positives, %d equal to the query, %d dropped by the margin",
                positivesInWindow, queryTextInWindow, droppedByMargin));
        if (truncated > 0) {
            l.add(truncated + " texts were truncated to max_length while encoding");
        }
        return l;
    }
}
