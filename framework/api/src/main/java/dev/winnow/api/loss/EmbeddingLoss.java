package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;

/** A loss over embeddings for {@code task: embedding}; returns a scalar. */
@FunctionalInterface
public interface EmbeddingLoss extends Loss {
    NDArray compute(EmbeddingBatch batch);

    /**
     * Whether the loss reads labelled pairs (one document per row with a float label: cosine_similarity,
     * contrastive) rather than a positive followed by negatives (infonce). The runner lays batches out accordingly.
     */
    default boolean labelledPairs() {
        return false;
    }
}
