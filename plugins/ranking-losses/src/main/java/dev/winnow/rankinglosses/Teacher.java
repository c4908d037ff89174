package dev.winnow.rankinglosses;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.loss.RankingBatch;

/** The teacher scores a distillation loss needs; validation refuses such recipes earlier, this is the backstop. */
final class Teacher {
    private Teacher() {}

    static NDArray required(RankingBatch batch, String loss) {
        NDArray t = batch.teacherScores();
        if (t == null) {
            throw new IllegalArgumentException("loss " + loss + " needs teacher scores, but the training data has none");
        }
        return t;
    }
}
