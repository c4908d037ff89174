package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;

/**
 * A ranking loss that learns from a teacher's scores ({@link RankingBatch#teacherScores()}): margin MSE, MSE,
 * FlagEmbedding's distillation. A recipe whose training data supplies no teacher scores is refused at validation,
 * naming the loss and the format option that supplies them.
 */
public interface DistillationLoss extends RankingLoss {
    @Override
    NDArray compute(RankingBatch batch);

    /** Teacher scores are required: the three-argument form has none to give. */
    @Override
    default NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        throw new IllegalStateException(getClass().getSimpleName() + " needs teacher scores: call compute(RankingBatch)");
    }
}
