package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import dev.winnow.api.config.Doc;
import dev.winnow.api.loss.RankingLoss;

/**
 * ListNet top-one loss (Cao et al. 2007) as sentence-transformers' {@code ListNetLoss}: per group, the cross-entropy
 * {@code -sum_j softmax(labels)_j log softmax(scores)_j} over the real entries (graded labels give the target
 * distribution directly), averaged over the groups that have a real entry. Padded entries are left out of both
 * softmaxes.
 */
public record ListNet() implements RankingLoss {
    /** Recipe keys of {@code loss: {type: listnet}} (none). */
    @Doc("cross-entropy between softmax(labels) and softmax(scores) per group; sentence-transformers ListNetLoss")
    public record Config() {}

    private static final float MASKED = -1e9f;

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        NDArray realB = mask.gt(0f);
        NDArray real = realB.toType(scores.getDataType(), false);
        NDArray pad = realB.logicalNot().toType(scores.getDataType(), false).mul(Scalars.of(MASKED));
        NDArray logp = scores.mul(real).add(pad).logSoftmax(1);
        NDArray target = labels.toType(scores.getDataType(), false).mul(real).add(pad).softmax(1).mul(real);
        NDArray perGroup = target.mul(logp).sum(new int[] {1}).neg();
        NDArray valid = real.sum(new int[] {1}).gt(0f).toType(scores.getDataType(), false);
        return perGroup.mul(valid).sum().div(valid.sum().maximum(Scalars.of(1f)));
    }
}
