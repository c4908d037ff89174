package dev.winnow.core.data;

/**
 * What to do with a query that has no positive document (recipe key {@code no_positive}). ms-swift silently
 * drops such rows; Winnow counts them either way.
 */
public enum NoPositive {
    /** Drop the query, count it and report the count. */
    SKIP,
    /** Stop with an error naming the file and line of the first such query. */
    ERROR,
    /**
     * Keep the query: its negatives still serve pointwise training and as random negatives for other queries
     * ({@link ShortfallPolicy#PAD}); listwise grouping makes no group for it; evaluators decide how to score it.
     */
    KEEP
}
