package dev.winnow.rankinglosses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;

/**
 * RankNet (Burges et al. 2005) as sentence-transformers' {@code RankNetLoss} (a LambdaLoss without weighting):
 * for every pair (i, j) of real entries of a group with {@code label_i > label_j} (graded labels compare by grade),
 * the pair loss is {@code -log2(max(sigmoid(sigma (s_i - s_j)), eps))}; the result is the mean over all such pairs
 * of the batch (0, still differentiable, when there are none). Padded entries never form a pair.
 */
public record RankNet(double sigma, double eps) implements RankingLoss {
    /** Recipe keys of {@code loss: {type: ranknet}}. */
    @Doc("pairwise logistic loss over every (better, worse) pair of a group; sentence-transformers RankNetLoss")
    public record Config(
            @Doc("score differences are multiplied by this") @Default("1.0") @Range(min = 0, minExclusive = true)
                    double sigma,
            @Doc("the pair probability is clamped below at this before the log") @Default("1e-10")
                    @Range(min = 0, minExclusive = true) double eps) {}

    private static final double LN2 = Math.log(2);

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        NDArray real = mask.gt(0f).toType(scores.getDataType(), false);
        NDArray y = labels.toType(scores.getDataType(), false);
        NDArray pairReal = real.expandDims(2).mul(real.expandDims(1));
        NDArray better = y.expandDims(2).sub(y.expandDims(1)).gt(0f).toType(scores.getDataType(), false);
        NDArray pairs = pairReal.mul(better);
        NDArray diff = scores.expandDims(2).sub(scores.expandDims(1)).mul(scores.getManager().full(new Shape(), (float) sigma)); // full(): libtorch-owned scalar; DJL's mul(Number)/maximum(Number) let backward read a freed one
        // sigmoid(x) = exp(-softplus(-x)), softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0): no overflow for large |x|
        NDArray softplusNeg = diff.abs().neg().exp().add(1f).log().add(diff.neg().maximum(scores.getManager().full(new Shape(), 0f)));
        NDArray pairLoss = softplusNeg.neg().exp().maximum(scores.getManager().full(new Shape(), (float) eps)).log()
                .div(scores.getManager().full(new Shape(), (float) LN2)).neg();
        return pairLoss.mul(pairs).sum().div(pairs.sum().maximum(1f));
    }
}
