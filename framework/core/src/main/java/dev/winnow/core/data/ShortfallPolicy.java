package dev.winnow.core.data;

/**
 * How a training group is completed when its query has fewer than {@code group_size - 1} negatives (recipe key
 * {@code shortfall}).
 */
public enum ShortfallPolicy {
    /**
     * Use every negative, then repeat them (each reshuffled round again, so repeats are spread evenly), as
     * FlagEmbedding does. A query with no negative at all gets no group (counted).
     */
    REPEAT,
    /** Fill with random negatives of other queries in the dataset (without teacher scores, which belong to
     * their own query). Counted. */
    PAD,
    /** Drop the group (counted). */
    DROP,
    /** Keep the group with fewer negatives, as ms-swift's reranker collator does; groups then differ in size. */
    SHORTER
}
