package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.GradCachedLoss;

/**
 * {@code cached_infonce}: {@link InfonceLoss} computed by the runner with gradient caching. The loss itself is
 * infonce's; {@link GradCachedLoss} tells the runner to encode in chunks and back-propagate through cached
 * embedding gradients (sentence-transformers' CachedMultipleNegativesRankingLoss does the same).
 */
public final class CachedInfonceLoss implements GradCachedLoss {
    static final String ID = "cached_infonce";

    private final InfonceLoss infonce;
    private final int miniBatchSize;

    public CachedInfonceLoss(CachedInfonceConfig config, long seed) {
        this.infonce = new InfonceLoss(config.infonce(), seed);
        this.miniBatchSize = config.miniBatchSize();
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        return infonce.compute(batch);
    }

    @Override
    public int miniBatchSize() {
        return miniBatchSize;
    }
}
