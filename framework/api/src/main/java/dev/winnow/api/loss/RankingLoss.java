package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss over reranker scores laid out as groups (see {@link RankingBatch}): row {@code g} holds the scores of one
 * query's candidates. The result is a scalar, averaged the way the loss documents.
 *
 * <p>A loss that only needs scores, labels and mask implements the three-argument form; one that reads more of
 * the batch (teacher scores) overrides {@link #compute(RankingBatch)}; see {@link DistillationLoss}.
 */
@FunctionalInterface
public interface RankingLoss extends Loss {
    /**
     * @param scores {@code [groups, width]} raw scores
     * @param labels {@code [groups, width]} labels (1 positive, 0 negative, or graded values)
     * @param mask {@code [groups, width]} 1 for a real entry, 0 for padding
     */
    NDArray compute(NDArray scores, NDArray labels, NDArray mask);

    /** The loss of a whole batch; the runner calls this one. */
    default NDArray compute(RankingBatch batch) {
        return compute(batch.scores(), batch.labels(), batch.mask());
    }
}
