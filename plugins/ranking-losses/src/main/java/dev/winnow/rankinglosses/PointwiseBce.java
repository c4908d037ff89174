package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;
import org.jspecify.annotations.Nullable;

/**
 * Binary cross-entropy with logits over every real entry of every group, averaged over those entries, as
 * {@code torch.nn.BCEWithLogitsLoss} (and ms-swift's {@code pointwise_reranker}, sentence-transformers'
 * {@code BinaryCrossEntropyLoss}). Labels are in [0, 1]: 1 for a positive, 0 for a negative, or a soft label.
 *
 * <p>Computed in the stable form {@code (1 - y) x + (1 + (w - 1) y) (log(1 + exp(-|x|)) + max(-x, 0))}, with
 * {@code w} the positive weight, which is torch's formula.
 */
public record PointwiseBce(@Nullable Double posWeight) implements RankingLoss {
    /** Recipe keys of {@code loss: {type: pointwise_bce}}. */
    @Doc("binary cross-entropy on each (query, document) score; ms-swift pointwise_reranker")
    public record Config(
            @Doc("weight of the positive term (e.g. negatives/positives to balance 1:7 groups); absent = 1")
                    @Range(min = 0, minExclusive = true) @Nullable Double posWeight) {}

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        NDArray y = labels.clip(0f, 1f);
        NDArray softplusNegX = scores.abs().neg().exp().add(1f).log().add(scores.neg().maximum(scores.getManager().full(new Shape(), 0f))); // full(): libtorch-owned scalar; DJL's maximum(Number) let backward read a freed one
        NDArray weight = posWeight == null ? y.onesLike() : y.mul(Scalars.of(posWeight.floatValue() - 1f)).add(1f);
        NDArray perEntry = y.neg().add(1f).mul(scores).add(weight.mul(softplusNegX));
        NDArray m = mask.toType(scores.getDataType(), false);
        return perEntry.mul(m).sum().div(m.sum().maximum(Scalars.of(1f)));
    }
}
