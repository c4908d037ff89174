package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;
import org.jspecify.annotations.Nullable;

/**
 * The LambdaLoss framework (Wang et al. 2018) as sentence-transformers' cross-encoder {@code LambdaLoss}, with its
 * weighting schemes, defaults and reduction.
 *
 * <p>Per group: entries are ranked by score (descending; equal scores keep their input order, as a stable sort does),
 * giving each real entry a position {@code r = 1..n} and a discount {@code D_r = log2(1 + r)}. Gains are
 * {@code G = (2^max(label, 0) - 1) / maxDCG}, where {@code maxDCG = sum over the ideal order's first k positions of
 * (2^label - 1) / D}, clamped below at eps: graded labels are gains. Every pair (i, j) of real entries with
 * {@code label_i > label_j} (equal labels never form a pair; {@code ndcg_loss1} takes every pair of real entries,
 * itself included), both within the first k predicted positions, contributes
 * {@code -log(max(max(sigmoid(sigma (s_i - s_j)), eps)^w_ij, eps))}, in base 2 ({@code binary}) or e
 * ({@code natural}); the loss is the mean over all those pairs of the batch, so groups with more pairs weigh more.
 * Weights {@code w_ij}: {@code none} 1 (RankNet); {@code ndcg_loss1} {@code G_i / D_i}; {@code ndcg_loss2}
 * {@code |1/D_|ri-rj|| - 1/D_(|ri-rj|+1)| |G_i - G_j|}; {@code lambdarank} {@code |1/D_ri - 1/D_rj| |G_i - G_j|};
 * {@code ndcg_loss2pp} {@code mu ndcg_loss2 + lambdarank}. Padded entries never form a pair nor hold a position. A
 * batch without a pair gives 0 (sentence-transformers' mean over no pair is NaN), still differentiable.
 */
public record LambdaLoss(Scheme weightingScheme, double mu, @Nullable Integer k, double sigma, double eps, LogBase reductionLog)
        implements RankingLoss {
    /** sentence-transformers' weighting scheme classes, by recipe id. */
    public enum Scheme {
        /** {@code NoWeightingScheme}: every pair weighs 1 (RankNet). */
        NONE,
        /** {@code NDCGLoss1Scheme}. */
        NDCG_LOSS1,
        /** {@code NDCGLoss2Scheme}. */
        NDCG_LOSS2,
        /** {@code LambdaRankScheme}. */
        LAMBDARANK,
        /** {@code NDCGLoss2PPScheme}: mu times NDCGLoss2 plus LambdaRank. */
        NDCG_LOSS2PP
    }

    /** The logarithm of the pair losses. */
    public enum LogBase {
        /** log2. */
        BINARY,
        /** ln. */
        NATURAL
    }

    /** Recipe keys of {@code loss: {type: lambda_loss}}. */
    @Doc("LambdaLoss framework with NDCG-based pair weights over graded labels; sentence-transformers LambdaLoss")
    public record Config(
            @Doc("pair weights: none (RankNet), ndcg_loss1, ndcg_loss2, lambdarank or ndcg_loss2pp (mu x ndcg_loss2 + lambdarank)")
                    @Default("ndcg_loss2pp") Scheme weightingScheme,
            @Doc("weight of the ndcg_loss2 term in ndcg_loss2pp") @Default("10.0") @Range(min = 0) double mu,
            @Doc("only pairs within the first k predicted positions (NDCG@k), and maxDCG over the first k; absent = all")
                    @Range(min = 1) @Nullable Integer k,
            @Doc("score differences are multiplied by this") @Default("1.0") @Range(min = 0, minExclusive = true) double sigma,
            @Doc("the pair probability is clamped below at this, and maxDCG") @Default("1e-10") @Range(min = 0, minExclusive = true)
                    double eps,
            @Doc("logarithm of the pair losses: binary (log2) or natural") @Default("binary") LogBase reductionLog) {}

    static LambdaLoss of(Config c) {
        return new LambdaLoss(c.weightingScheme(), c.mu(), c.k(), c.sigma(), c.eps(), c.reductionLog());
    }

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        DataType type = scores.getDataType();
        NDManager m = scores.getManager();
        long width = scores.getShape().get(1);
        NDArray real = mask.gt(0f).toType(type, false);
        NDArray y = labels.toType(type, false);
        NDArray s = scores.stopGradient();

        NDArray position = positions(s, real, m, width); // predicted, 1-based, [groups, width]
        NDArray idealPosition = positions(y, real, m, width);
        float kk = k == null ? Float.MAX_VALUE : k.floatValue();

        NDArray gainNumerator = y.maximum(Scalars.of(0f)).mul(Scalars.of((float) Math.log(2))).exp().sub(1f).mul(real);
        NDArray idealDiscount = idealPosition.add(1f).log().div(Scalars.of((float) Math.log(2)));
        NDArray inIdealTopK = idealPosition.lte(kk).toType(type, false);
        NDArray maxDcg = gainNumerator.div(idealDiscount).mul(inIdealTopK).sum(new int[] {1}, true).maximum(Scalars.of((float) eps));
        NDArray gain = gainNumerator.div(maxDcg);
        NDArray discount = position.add(1f).log().div(Scalars.of((float) Math.log(2)));

        // pair (i, j): i along axis 1, j along axis 2
        NDArray pairs = real.expandDims(2).mul(real.expandDims(1));
        if (weightingScheme != Scheme.NDCG_LOSS1) {
            pairs = pairs.mul(y.expandDims(2).sub(y.expandDims(1)).gt(0f).toType(type, false));
        }
        NDArray inTopK = position.lte(kk).toType(type, false);
        pairs = pairs.mul(inTopK.expandDims(2).mul(inTopK.expandDims(1)));

        NDArray weights = weights(gain, discount, position);
        NDArray diff = scores.expandDims(2).sub(scores.expandDims(1)).clip(-1e8f, 1e8f).mul(Scalars.of((float) sigma));
        double logEps = Math.log(eps);
        // log(max(sigmoid(x), eps)) with log sigmoid(x) = -softplus(-x) = -(log(1 + exp(-|x|)) + max(-x, 0))
        NDArray logP = diff.abs().neg().exp().add(1f).log().add(diff.neg().maximum(Scalars.of(0f))).neg().maximum(Scalars.of(logEps));
        NDArray logWeighted = weights == null ? logP : logP.mul(weights).maximum(Scalars.of(logEps));
        if (reductionLog == LogBase.BINARY) {
            logWeighted = logWeighted.div(Scalars.of(Math.log(2)));
        }
        return logWeighted.neg().mul(pairs).sum().div(pairs.sum().maximum(Scalars.of(1f)));
    }

    /** {@code [groups, width, width]} pair weights, or null for {@code none} (all 1). */
    private @Nullable NDArray weights(NDArray gain, NDArray discount, NDArray position) {
        return switch (weightingScheme) {
            case NONE -> null;
            case NDCG_LOSS1 -> gain.div(discount).expandDims(2);
            case NDCG_LOSS2 -> ndcgLoss2(gain, position);
            case LAMBDARANK -> lambdaRank(gain, discount);
            case NDCG_LOSS2PP -> ndcgLoss2(gain, position).mul(Scalars.of((float) mu)).add(lambdaRank(gain, discount));
        };
    }

    private static NDArray gainGap(NDArray gain) {
        return gain.expandDims(2).sub(gain.expandDims(1)).abs();
    }

    /** {@code |1/log2(1 + d) - 1/log2(2 + d)| |G_i - G_j|} with {@code d = |r_i - r_j|}; 0 where d is 0. */
    private static NDArray ndcgLoss2(NDArray gain, NDArray position) {
        NDArray d = position.expandDims(2).sub(position.expandDims(1)).abs();
        NDArray apart = d.gt(0f).toType(gain.getDataType(), false);
        NDArray dd = d.maximum(Scalars.of(1f));
        float ln2 = (float) Math.log(2);
        NDArray delta = dd.add(1f).log().div(Scalars.of(ln2)).pow(Scalars.of(-1f)).sub(dd.add(2f).log().div(Scalars.of(ln2)).pow(Scalars.of(-1f))).abs();
        return delta.mul(apart).mul(gainGap(gain));
    }

    private static NDArray lambdaRank(NDArray gain, NDArray discount) {
        NDArray inv = discount.pow(Scalars.of(-1f));
        return inv.expandDims(2).sub(inv.expandDims(1)).abs().mul(gainGap(gain));
    }

    /**
     * The 1-based position of each entry when the real entries of its row are sorted by {@code key} descending, equal
     * keys in input order: 1 + the real entries ahead of it. Padded entries get positions too; they never count.
     */
    static NDArray positions(NDArray key, NDArray real, NDManager m, long width) {
        DataType type = key.getDataType();
        NDArray ki = key.expandDims(2); // entry i along axis 1
        NDArray kj = key.expandDims(1); // entry j along axis 2
        NDArray idx = m.arange((float) width).toType(type, false);
        NDArray earlier = idx.expandDims(0).lt(idx.expandDims(1)).expandDims(0); // [1, i, j]: j < i
        NDArray ahead = kj.gt(ki).logicalOr(kj.eq(ki).logicalAnd(earlier)).toType(type, false).mul(real.expandDims(1));
        return ahead.sum(new int[] {2}).add(1f);
    }
}
