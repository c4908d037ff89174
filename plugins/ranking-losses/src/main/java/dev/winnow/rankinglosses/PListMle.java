package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.loss.RankingLoss;

/**
 * ListMLE (Xia et al. 2008) and position-aware ListMLE (Lan et al. 2014) as sentence-transformers' {@code ListMLELoss}
 * and {@code PListMLELoss}: the Plackett-Luce log-likelihood of each group's order, its input order
 * ({@code respect_input_order}, the data lists the most relevant first) or its order by label descending (equal labels
 * in input order). With the entries of a group in that order, {@code log p_r = s_r - log(sum_{j >= r} exp(s_j) + 1e-10)}
 * over real entries only: padding is masked before the suffix sum (sentence-transformers' fixed v5.7 behaviour; earlier
 * versions added exp(1e-16) per padded slot). ListMLE's group loss is {@code -sum_r log p_r}; PListMLE weighs position
 * {@code r} (0-based among the n real entries) by {@code 2^(n - r) - 1}, normalised to sum to 1 per group
 * ({@code PListMLELambdaWeight}). The loss is the mean over groups with a real entry. The suffix sums are computed
 * shifted by each group's largest score (the same value, with no overflow for large scores).
 */
public record PListMle(boolean positionWeights, boolean respectInputOrder) implements RankingLoss {
    /** Recipe keys of {@code loss: {type: listmle}}. */
    @Doc("Plackett-Luce likelihood of each group's order; sentence-transformers ListMLELoss")
    public record ListMleConfig(
            @Doc("true: the data's order is the target ranking (most relevant first); false: the order by label")
                    @Default("true") boolean respectInputOrder) {}

    /** Recipe keys of {@code loss: {type: plistmle}}. */
    @Doc("ListMLE with position weights 2^(n-r)-1, normalised per group; sentence-transformers PListMLELoss")
    public record PListMleConfig(
            @Doc("true: the data's order is the target ranking (most relevant first); false: the order by label")
                    @Default("true") boolean respectInputOrder) {}

    private static final float EPS = 1e-10f;

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        DataType type = scores.getDataType();
        NDManager m = scores.getManager();
        long width = scores.getShape().get(1);
        NDArray real = mask.gt(0f).toType(type, false);
        NDArray s = scores;
        if (!respectInputOrder) {
            // permutation [group, position, entry]: real entries to their 0-based position by label, descending
            NDArray position = LambdaLoss.positions(labels.toType(type, false), real, m, width).sub(1f);
            NDArray slots = m.arange((float) width).toType(type, false);
            NDArray perm = position.expandDims(1).eq(slots.reshape(1, width, 1)).toType(type, false).mul(real.expandDims(1));
            s = perm.matMul(scores.expandDims(2)).squeeze(2);
            real = perm.matMul(real.expandDims(2)).squeeze(2);
        }
        NDArray idx = m.arange((float) width).toType(type, false);
        NDArray suffix = idx.expandDims(1).gte(idx.expandDims(0)).toType(type, false); // [j, r]: j >= r
        NDArray shift = s.stopGradient().mul(real).add(real.neg().add(1f).mul(Scalars.of(-1e30f))).max(new int[] {1}, true);
        shift = shift.mul(real.max(new int[] {1}, true)); // a row without real entries: shift 0
        NDArray z = s.sub(shift).mul(real); // padded entries 0: nothing overflows there, so no NaN gradient
        NDArray tail = z.exp().mul(real).matMul(suffix);
        NDArray logP = z.sub(tail.add(shift.neg().minimum(Scalars.of(80f)).exp().mul(Scalars.of(EPS))).log()).mul(real);
        NDArray valid = real.max(new int[] {1});
        if (positionWeights) {
            NDArray n = real.sum(new int[] {1}, true);
            NDArray rank = real.matMul(suffix.transpose()).sub(1f); // real entries at or before r, minus 1
            NDArray w = n.sub(rank).mul(Scalars.of((float) Math.log(2))).exp().sub(1f).mul(real);
            w = w.div(w.sum(new int[] {1}, true).add(EPS));
            logP = logP.mul(w);
        }
        return logP.sum(new int[] {1}).mul(valid).sum().neg().div(valid.sum().maximum(Scalars.of(1f)));
    }
}
