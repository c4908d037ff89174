package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;

/** A loss over embeddings for {@code task: embedding}; returns a scalar. */
@FunctionalInterface
public interface EmbeddingLoss extends Loss {
    NDArray compute(EmbeddingBatch batch);
}
