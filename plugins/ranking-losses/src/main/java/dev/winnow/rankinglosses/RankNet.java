package dev.winnow.rankinglosses;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;
import org.jspecify.annotations.Nullable;

/**
 * RankNet (Burges et al. 2005) as sentence-transformers' {@code RankNetLoss}, which is {@link LambdaLoss} with weighting
 * scheme {@code none}: for every pair (i, j) of real entries of a group with {@code label_i > label_j} (graded labels
 * compare by grade; equal labels form no pair), both within the first k predicted positions, the pair loss is
 * {@code -log2(max(sigmoid(sigma (s_i - s_j)), eps))} (ln with {@code reduction_log: natural}); the result is the
 * mean over all such pairs of the batch (0, still differentiable, when there are none). Padded entries never form a
 * pair.
 */
public record RankNet(double sigma, double eps, @Nullable Integer k, LambdaLoss.LogBase reductionLog) implements RankingLoss {
    /** Recipe keys of {@code loss: {type: ranknet}}. */
    @Doc("pairwise logistic loss over every (better, worse) pair of a group; sentence-transformers RankNetLoss")
    public record Config(
            @Doc("score differences are multiplied by this") @Default("1.0") @Range(min = 0, minExclusive = true)
                    double sigma,
            @Doc("the pair probability is clamped below at this before the log") @Default("1e-10")
                    @Range(min = 0, minExclusive = true) double eps,
            @Doc("only pairs within the first k predicted positions; absent = all") @Range(min = 1) @Nullable Integer k,
            @Doc("logarithm of the pair losses: binary (log2) or natural") @Default("binary") LambdaLoss.LogBase reductionLog) {}

    /** All pairs, log2. */
    public RankNet(double sigma, double eps) {
        this(sigma, eps, null, LambdaLoss.LogBase.BINARY);
    }

    static RankNet of(Config c) {
        return new RankNet(c.sigma(), c.eps(), c.k(), c.reductionLog());
    }

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        return new LambdaLoss(LambdaLoss.Scheme.NONE, 0, k, sigma, eps, reductionLog).compute(scores, labels, mask);
    }
}
