package dev.winnow.rankinglosses;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.GradCachedRankingLoss;
import dev.winnow.api.loss.InBatchNegativesLoss;

/**
 * {@link Mnrl} computed with gradient caching, as sentence-transformers' cross-encoder
 * {@code CachedMultipleNegativesRankingLoss}: the runner scores the pairs in chunks of {@code mini_batch_size} without a
 * graph, takes this loss and its gradient with respect to the scores once, then re-scores each chunk with a graph
 * (replaying its dropout masks) and back-propagates its slice of that gradient. The loss and gradients equal
 * {@code mnrl}'s with one chunk's activation memory, so the micro-batch (and the in-batch negatives) can grow.
 */
public record CachedMnrl(Mnrl loss, int miniBatchSize) implements InBatchNegativesLoss, GradCachedRankingLoss {
    /** Recipe keys of {@code loss: {type: cached_mnrl}}. */
    @Doc("mnrl through gradient caching (GradCache): mnrl's loss and gradients with one chunk of pairs' activation memory; "
            + "sentence-transformers cross-encoder CachedMultipleNegativesRankingLoss")
    public record Config(
            @Doc("documents drawn per query from the other queries' candidates in the micro-batch; 0 = all of them")
                    @Default("4") @Range(min = 0) int numNegatives,
            @Doc("activated scores are multiplied by this before the softmax") @Default("10.0") @Range(min = 0, minExclusive = true)
                    double scale,
            @Doc("applied to the raw scores first: sigmoid, identity or tanh") @Default("sigmoid") Mnrl.Activation activation,
            @Doc("(query, document) pairs scored together in each chunk") @Default("32") @Range(min = 1) int miniBatchSize) {}

    static CachedMnrl of(Config c) {
        return new CachedMnrl(new Mnrl(c.numNegatives(), c.scale(), c.activation()), c.miniBatchSize());
    }

    @Override
    public int numNegatives() {
        return loss.numNegatives();
    }

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        return loss.compute(scores, labels, mask);
    }
}
