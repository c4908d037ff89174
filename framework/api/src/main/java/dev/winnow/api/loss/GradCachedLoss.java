package dev.winnow.api.loss;

/**
 * An embedding loss that the runner computes with gradient caching (GradCache, Gao et al. 2021): every text of
 * the batch is first encoded without a graph in chunks of {@link #miniBatchSize()}, the loss and its gradient with
 * respect to those embeddings are computed once, then each chunk is encoded again with a graph and back-propagated
 * with its cached gradient. The result equals the plain loss's, while activation memory is bounded by one chunk
 * rather than by the batch, so the effective batch (and the in-batch negatives) can grow past memory.
 */
public interface GradCachedLoss extends EmbeddingLoss {
    /** Texts encoded together in each chunk. */
    int miniBatchSize();
}
