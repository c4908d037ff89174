package dev.winnow.core.data;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;

/**
 * How query records become training groups.
 *
 * @param groupSize documents per group: one positive and {@code groupSize - 1} negatives; 1 means pointwise
 *     (every candidate, positive or negative, is an example of its own, for binary cross-entropy)
 * @param positivesPerQuery how many of a query's positives make a group each epoch (sampled afresh each epoch);
 *     0 means every positive
 * @param shortfall what to do when a query has too few negatives
 */
@Doc("how query records become training groups: one positive and group_size - 1 negatives each")
public record GroupingOptions(
        @Doc("documents per group (1 positive + negatives); 1 = pointwise, every candidate alone") @Default("8")
                int groupSize,
        @Doc("positives of a query used per epoch, each heading its own group; 0 = all (ms-swift uses 1)")
                @Default("0") int positivesPerQuery,
        @Doc("when a query has too few negatives: repeat, pad (other queries' negatives), drop, or shorter")
                @Default("repeat") ShortfallPolicy shortfall) {
    public GroupingOptions {
        if (groupSize < 1) {
            throw new UserException("group_size must be at least 1 (1 = pointwise), got " + groupSize);
        }
        if (positivesPerQuery < 0) {
            throw new UserException("positives_per_query must be 0 (all) or more, got " + positivesPerQuery);
        }
    }

    /**
     * ms-swift's reranker defaults ({@code MAX_POSITIVE_SAMPLES=1}, {@code MAX_NEGATIVE_SAMPLES=7}): one positive
     * per query and epoch with 7 negatives, fewer when the query has fewer.
     */
    public static GroupingOptions swift() {
        return new GroupingOptions(8, 1, ShortfallPolicy.SHORTER);
    }

    /** FlagEmbedding's reranker defaults: {@code train_group_size=8}, one positive, negatives repeated when short. */
    public static GroupingOptions flagEmbedding() {
        return new GroupingOptions(8, 1, ShortfallPolicy.REPEAT);
    }

    public boolean pointwise() {
        return groupSize == 1;
    }
}
