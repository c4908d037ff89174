package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss over reranker scores laid out as groups: row {@code g} holds the scores of one query's candidates.
 *
 * <p>All three arrays have shape {@code [groups, groupSize]} and are float32. {@code labels} holds 1 for a
 * positive and 0 for a negative (or graded labels / teacher scores for losses that use them); {@code mask} is 1
 * for a real entry and 0 for padding in a short group. The result is a scalar, averaged the way the loss
 * documents.
 */
@FunctionalInterface
public interface RankingLoss extends Loss {
    NDArray compute(NDArray scores, NDArray labels, NDArray mask);
}
