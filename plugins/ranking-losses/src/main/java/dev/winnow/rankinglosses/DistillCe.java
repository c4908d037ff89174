package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.RankingBatch;

/**
 * FlagEmbedding's reranker distillation ({@code AbsRerankerModel.forward} with teacher scores): per group the
 * cross-entropy {@code -sum_j softmax(t / T)_j log softmax(s)_j} of the student's scores against the softmax of the
 * teacher's scores divided by {@code temperature}, over the real entries, averaged over groups; with
 * {@code ce_weight > 0}, plus {@code ce_weight} times the group cross-entropy with the positive (entry 0) as target.
 * FlagEmbedding adds the two unweighted with no temperature: {@code temperature: 1.0, ce_weight: 1.0}. Needs the
 * batch's teacher scores (raw teacher logits, as FlagEmbedding's scripts write them).
 */
public record DistillCe(double temperature, double ceWeight) implements DistillationLoss {
    /** Recipe keys of {@code loss: {type: distill_ce}}. */
    @Doc("cross-entropy of the scores' softmax against the softmax of teacher scores, optionally plus the group CE; "
            + "FlagEmbedding reranker distillation")
    public record Config(
            @Doc("teacher scores are divided by this before their softmax") @Default("1.0") @Range(min = 0, minExclusive = true)
                    double temperature,
            @Doc("weight of the group cross-entropy with the positive first, added to the distillation term; 0 = pure "
                    + "distillation, 1 = FlagEmbedding's sum") @Default("0.0") @Range(min = 0) double ceWeight) {}

    static DistillCe of(Config c) {
        return new DistillCe(c.temperature(), c.ceWeight());
    }

    private static final float MASKED = -1e9f;

    @Override
    public NDArray compute(RankingBatch batch) {
        NDArray s = batch.scores();
        NDArray t = Teacher.required(batch, "distill_ce").toType(s.getDataType(), false);
        NDArray realB = batch.mask().gt(0f);
        NDArray real = realB.toType(s.getDataType(), false);
        NDArray pad = realB.logicalNot().toType(s.getDataType(), false).mul(Scalars.of(MASKED));
        NDArray logp = s.mul(real).add(pad).logSoftmax(1);
        NDArray target = t.div(Scalars.of((float) temperature)).mul(real).add(pad).softmax(1).mul(real);
        NDArray perGroup = target.mul(logp).sum(new int[] {1}).neg();
        NDArray valid = real.max(new int[] {1});
        NDArray distill = perGroup.mul(valid).sum().div(valid.sum().maximum(Scalars.of(1f)));
        if (ceWeight == 0) {
            return distill;
        }
        return distill.add(Mnrl.positiveFirstCrossEntropy(s, batch.mask()).mul(Scalars.of((float) ceWeight)));
    }
}
