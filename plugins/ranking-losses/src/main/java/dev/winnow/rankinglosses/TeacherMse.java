package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import dev.winnow.api.config.Doc;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.RankingBatch;

/**
 * Pointwise distillation as sentence-transformers' cross-encoder {@code MSELoss}: the mean over real entries of
 * {@code (score - teacher)^2}. Needs the batch's teacher scores.
 */
public record TeacherMse() implements DistillationLoss {
    /** Recipe keys of {@code loss: {type: mse}} (none). */
    @Doc("mean squared error between scores and teacher scores; sentence-transformers MSELoss")
    public record Config() {}

    @Override
    public NDArray compute(RankingBatch batch) {
        NDArray teacher = Teacher.required(batch, "mse");
        NDArray s = batch.scores();
        NDArray real = batch.mask().gt(0f).toType(s.getDataType(), false);
        NDArray d = s.sub(teacher.toType(s.getDataType(), false));
        return d.mul(d).mul(real).sum().div(real.sum().maximum(Scalars.of(1f)));
    }
}
