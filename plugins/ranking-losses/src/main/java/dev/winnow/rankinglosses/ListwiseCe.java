package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;

/**
 * Softmax cross-entropy over each group with its positive as the target (ms-swift's {@code listwise_reranker},
 * FlagEmbedding's reranker loss): {@code -log softmax(z / T)[positive]}, averaged over groups.
 *
 * <p>A group whose real entries number fewer than {@code min_group_size}, or that has no positive, is skipped
 * (ms-swift does the same); with no group left the loss is 0 and still differentiable. Where a group has several
 * positives the target is their labels normalised to sum to 1 (one positive: the usual one-hot target). Padded
 * entries are excluded from the softmax.
 */
public record ListwiseCe(double temperature, int minGroupSize) implements RankingLoss {
    /** Recipe keys of {@code loss: {type: listwise_ce}}. */
    @Doc("softmax cross-entropy over each group, positive as target; ms-swift listwise_reranker")
    public record Config(
            @Doc("scores are divided by this before the softmax") @Default("1.0") @Range(min = 0, minExclusive = true)
                    double temperature,
            @Doc("groups with fewer real entries are skipped") @Default("2") @Range(min = 1) int minGroupSize) {}

    private static final float MASKED = -1e9f;

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        NDArray real = mask.gt(0f);
        NDArray z = scores.div(scores.getManager().full(new Shape(), (float) temperature)); // full(): libtorch-owned scalar; DJL's div(Number)/maximum(Number) let backward read a freed one
        NDArray masked = z.mul(real.toType(z.getDataType(), false)).add(real.logicalNot().toType(z.getDataType(), false).mul(Scalars.of(MASKED)));
        NDArray logp = masked.logSoftmax(1);
        NDArray target = labels.maximum(Scalars.of(0f)).mul(real.toType(labels.getDataType(), false));
        NDArray targetSum = target.sum(new int[] {1}, true);
        NDArray p = target.div(targetSum.maximum(Scalars.of(1e-12f)));
        NDArray perGroup = p.mul(logp).sum(new int[] {1}).neg();
        NDArray valid = real.toType(z.getDataType(), false).sum(new int[] {1}).gte((float) minGroupSize)
                .logicalAnd(targetSum.squeeze(1).gt(0f))
                .toType(z.getDataType(), false);
        return perGroup.mul(valid).sum().div(valid.sum().maximum(Scalars.of(1f)));
    }
}
