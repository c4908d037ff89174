package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.winnow.api.config.Doc;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.RankingBatch;

/**
 * Margin MSE (Hofstaetter et al. 2020) as sentence-transformers' cross-encoder {@code MarginMSELoss}: entry 0 of a
 * group is its positive, every other real entry a negative; the loss is the mean over (group, negative) of
 * {@code ((s_pos - s_neg) - (t_pos - t_neg))^2}. Needs the batch's teacher scores.
 */
public record MarginMse() implements DistillationLoss {
    /** Recipe keys of {@code loss: {type: margin_mse}} (none). */
    @Doc("MSE between the student's and the teacher's positive-minus-negative margins; sentence-transformers MarginMSELoss")
    public record Config() {}

    @Override
    public NDArray compute(RankingBatch batch) {
        NDArray s = batch.scores();
        NDArray t = Teacher.required(batch, "margin_mse").toType(s.getDataType(), false);
        NDArray real = batch.mask().gt(0f).toType(s.getDataType(), false);
        NDArray studentMargin = s.get(new NDIndex(":, 0:1")).sub(s);
        NDArray teacherMargin = t.get(new NDIndex(":, 0:1")).sub(t);
        NDArray negatives = real.mul(real.get(new NDIndex(":, 0:1")));
        negatives = negatives.mul(s.onesLike().get(new NDIndex(":, 0:1")).zerosLike()
                .concat(s.onesLike().get(new NDIndex(":, 1:")), 1));
        NDArray d = studentMargin.sub(teacherMargin);
        return d.mul(d).mul(negatives).sum().div(negatives.sum().maximum(Scalars.of(1f)));
    }
}
