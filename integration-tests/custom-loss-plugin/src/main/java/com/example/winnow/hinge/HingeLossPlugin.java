package com.example.winnow.hinge;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.RankingLoss;

/** Contributes {@code loss: {type: pairwise_hinge, margin: 1.0}}. */
public final class HingeLossPlugin implements WinnowPlugin {
    /** Recipe keys of the loss. */
    public record HingeConfig(
            @Doc("Required gap between a positive's score and each negative's") @Default("1.0") @Range(min = 0)
                    double margin) {}

    /** Mean over (positive, negative) pairs of each group of {@code max(0, margin - (s_pos - s_neg))}. */
    public record HingeLoss(double margin) implements RankingLoss {
        @Override
        public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
            NDArray diff = scores.expandDims(2).sub(scores.expandDims(1));
            NDArray pos = labels.gt(0f).logicalAnd(mask.gt(0f));
            NDArray neg = labels.lte(0f).logicalAnd(mask.gt(0f));
            NDArray pairs = pos.expandDims(2).logicalAnd(neg.expandDims(1)).toType(scores.getDataType(), false);
            NDArray hinge = diff.neg().add(margin).maximum(0f);
            return hinge.mul(pairs).sum().div(pairs.sum().maximum(1f));
        }
    }

    @Override
    public String name() {
        return "example-hinge-loss";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.loss("pairwise_hinge", HingeConfig.class, HingeLoss.class, (config, context) -> new HingeLoss(config.margin()));
    }
}
