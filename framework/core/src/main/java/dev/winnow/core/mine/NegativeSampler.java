package dev.winnow.core.mine;

import dev.winnow.api.eval.TopK;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.jspecify.annotations.Nullable;

/**
 * Samples one query's negatives from its retrieval list: the ranks in {@code [rangeMin, rangeMax)}, less known
 * positives, the query's own text and (with a margin) candidates scoring above {@code lowest positive - margin};
 * then {@code count} of the rest uniformly without replacement, returned in rank order. When fewer remain, all of
 * them are taken and the shortfall is counted.
 */
public final class NegativeSampler {
    private final int rangeMin;
    private final int rangeMax;
    private final int count;
    private final @Nullable Double margin;

    public NegativeSampler(int rangeMin, int rangeMax, int count, @Nullable Double margin) {
        if (rangeMin < 0 || rangeMin >= rangeMax || count < 1) {
            throw new IllegalArgumentException("need 0 <= range_min < range_max and count >= 1: [" + rangeMin + ", "
                    + rangeMax + "), " + count);
        }
        this.rangeMin = rangeMin;
        this.rangeMax = rangeMax;
        this.count = count;
        this.margin = margin;
    }

    public static NegativeSampler of(MineOptions options) {
        return new NegativeSampler(options.rangeMin(), options.rangeMax(), options.numNegatives(), options.margin());
    }

    /**
     * One query's sample.
     *
     * @param rank 0-based ranks in the retrieval list, ascending
     * @param corpusIndex the sampled documents
     * @param score their scores
     * @param positivesInWindow known positives met in the window (left out)
     * @param queryTextInWindow documents equal to the query text met in the window (left out)
     * @param droppedByMargin candidates left out by the margin
     * @param shortfall negatives short of {@code count}
     */
    public record Sample(int[] rank, int[] corpusIndex, float[] score, int positivesInWindow, int queryTextInWindow,
            int droppedByMargin, int shortfall) {}

    /** A per-query random stream: depends only on the seed and the query's position in the input. */
    public static SplittableRandom randomFor(long seed, int queryIndex) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (queryIndex + 1L)));
    }

    /**
     * @param isPositive whether a corpus index is one of the query's known positives
     * @param queryTextIndex the corpus index whose text equals the query, or -1
     * @param lowestPositiveScore the query's lowest positive score, NaN when it has none (the margin then does not
     *     apply)
     */
    public Sample sample(TopK.Hits hits, IntPredicate isPositive, int queryTextIndex, double lowestPositiveScore,
            SplittableRandom random) {
        int end = Math.min(rangeMax, hits.size());
        int[] eligible = new int[Math.max(0, end - rangeMin)];
        int n = 0;
        int positives = 0;
        int queryText = 0;
        int dropped = 0;
        for (int r = rangeMin; r < end; r++) {
            int doc = hits.index()[r];
            if (isPositive.test(doc)) {
                positives++;
            } else if (doc == queryTextIndex) {
                queryText++;
            } else if (margin != null && !Double.isNaN(lowestPositiveScore)
                    && hits.score()[r] > lowestPositiveScore - margin) {
                dropped++;
            } else {
                eligible[n++] = r;
            }
        }
        int take = Math.min(count, n);
        // partial Fisher-Yates: the first `take` slots become a uniform sample without replacement
        for (int i = 0; i < take; i++) {
            int j = i + random.nextInt(n - i);
            int t = eligible[i];
            eligible[i] = eligible[j];
            eligible[j] = t;
        }
        int[] ranks = Arrays.copyOf(eligible, take);
        Arrays.sort(ranks);
        int[] docs = new int[take];
        float[] scores = new float[take];
        for (int i = 0; i < take; i++) {
            docs[i] = hits.index()[ranks[i]];
            scores[i] = hits.score()[ranks[i]];
        }
        return new Sample(ranks, docs, scores, positives, queryText, dropped, count - take);
    }
}
