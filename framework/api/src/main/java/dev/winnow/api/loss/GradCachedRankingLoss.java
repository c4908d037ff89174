package dev.winnow.api.loss;

/**
 * A ranking loss that the runner computes with gradient caching over (query, document) pairs, as
 * sentence-transformers' {@code CachedMultipleNegativesRankingLoss} does: every pair is scored without a graph in
 * chunks of {@link #miniBatchSize()}, the loss and its gradient with respect to the scores are taken once, then
 * each chunk is scored again with a graph (same random stream, so the same dropout masks) and back-propagated with
 * its slice of that gradient. Loss and gradients equal the uncached loss's; activation memory is one chunk's.
 */
public interface GradCachedRankingLoss extends RankingLoss {
    /** Pairs scored together in each chunk. */
    int miniBatchSize();
}
