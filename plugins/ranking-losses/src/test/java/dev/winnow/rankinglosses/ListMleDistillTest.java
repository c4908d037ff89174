package dev.winnow.rankinglosses;

import static dev.winnow.rankinglosses.LossChecks.finiteDifferences;
import static dev.winnow.rankinglosses.LossChecks.gradient;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.loss.RankingBatch;
import dev.winnow.nn.engine.WinnowEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * listmle, plistmle and distill_ce against the numpy definitions in src/test/resources/ranking-losses/expected.py
 * (the "listmle / plistmle, mnrl, distill_ce" section), and finite differences.
 */
class ListMleDistillTest {
    NDManager m;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @BeforeEach
    void manager() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    NDArray a(double... v) {
        return m.create(v, new Shape(2, v.length / 2));
    }

    /** Graded labels with a tie (1, 1) in group 0, not in label order; group 1's last entry (9, label 5) is padding. */
    NDArray[] listCase() {
        return new NDArray[] {a(2, 0.5, -1, 1.5, 1, 3, 0.5, 9), a(3, 1, 1, 2, 1, 0, 2, 5), a(1, 1, 1, 1, 1, 1, 1, 0)};
    }

    void check(PListMle loss, double value, double... grad) {
        NDArray[] c = listCase();
        assertEquals(value, loss.compute(c[0], c[1], c[2]).getDouble(), 1e-7, loss.toString());
        assertArrayEquals(grad, gradient(s -> loss.compute(s, c[1], c[2]), c[0]), 1e-7, loss.toString());
        finiteDifferences(m, s -> loss.compute(s, c[1], c[2]), c[0], 1e-7);
    }

    @Test
    void listmleInInputOrderAndInLabelOrder() {
        check(new PListMle(false, true), 3.4285153273643836, -0.23396442480372892, -0.31378134868571594, -0.4205199124997795,
                0.9682656859564629, -0.44441718884901676, 0.37277541971813566, 0.07164176909620934, 0.0);
        check(new PListMle(false, false), 3.0137962376959937, -0.23396442480372898, 0.09500588939083476, 0.13276375925312178,
                0.0061947759877692965, -0.3848157278382193, 0.8511030487154041, -0.4662873208839114, 0.0);
    }

    @Test
    void plistmlePositionWeightsAndPaddingMaskedBeforeTheSuffixSum() {
        check(new PListMle(true, true), 1.2251437955309046, -0.13497947584778597, -0.06621480603090776, -0.03805364217574477,
                0.23924792404867107, -0.28281093835589416, 0.2510131180048035, 0.03179782034640506, 0.0);
        check(new PListMle(true, false), 1.3917351635883597, -0.13497947584778602, 0.057876029131293916, 0.02578678149826093,
                0.051316665205994094, -0.0847378126274774, 0.38146610773059797, -0.29672829510524606, 0.0);
    }

    @Test
    void largeScoresStayFiniteAndAGroupWithoutRealEntriesIsLeftOut() {
        // exp(800) overflows even float64; the suffix sums shifted by the group's largest score do not. Group 0:
        // -log p_0 - log p_1 = log(1 + e^-1) + 0; group 1 is all padding and is not averaged in
        NDArray s = a(800, 799, 0, 0);
        NDArray y = a(1, 0, 0, 0);
        NDArray mask = a(1, 1, 0, 0);
        assertEquals(Math.log(1 + Math.exp(-1)), new PListMle(false, true).compute(s, y, mask).getDouble(), 1e-9);
        double[] g = gradient(x -> new PListMle(true, true).compute(x, y, mask), s);
        // weights (3, 1) / 4: d/ds_0 = -3/4 (1 - p) with p = 1 / (1 + e^-1), d/ds_1 = -d/ds_0
        double p = 1 / (1 + Math.exp(-1));
        assertArrayEquals(new double[] {-0.75 * (1 - p), 0.75 * (1 - p), 0, 0}, g, 1e-9);
    }

    NDArray[] teacherCase() {
        // teacher tie (2, 2) in group 0; group 1 has two padded slots (the 99 would dominate if it counted)
        return new NDArray[] {a(2, 1, 0.5, 1, 1, 3, 99, 0), a(4, 1, 2, 2, 0, 1, -5, 0), a(1, 1, 1, 1, 1, 1, 0, 0)};
    }

    void check(DistillCe loss, double value, double... grad) {
        NDArray[] c = teacherCase();
        NDArray y = c[0].zerosLike();
        assertEquals(value, loss.compute(new RankingBatch(c[0], y, c[2], c[1])).getDouble(), 1e-7, loss.toString());
        assertArrayEquals(grad, gradient(s -> loss.compute(new RankingBatch(s, y, c[2], c[1])), c[0]), 1e-7, loss.toString());
        finiteDifferences(m, s -> loss.compute(new RankingBatch(s, y, c[2], c[1])), c[0], 1e-7);
    }

    @Test
    void distillCeAgainstTheTeachersSoftmaxWithTemperatureAndCeWeight() {
        check(new DistillCe(1.0, 0.0), 0.8155603736476753, -0.12340988267236092, 0.07504781807186711, 0.005707642807123728,
                0.04265442179337004, -0.07486924967393878, 0.07486924967393871, 0.0, 0.0);
        check(new DistillCe(3.0, 0.0), 1.1618883283581112, 0.04645349017500064, 0.01708928400604233, -0.050244776583644644,
                -0.013297997597398331, -0.1491134357577839, 0.1491134357577838, 0.0, 0.0);
        check(new DistillCe(1.0, 1.0), 2.2152131279124583, -0.3681631641731344, 0.16894783823420703, 0.06266088398321734,
                0.13655444195570995, -0.51526778866288, 0.5152677886628798, 0.0, 0.0);
        check(new DistillCe(0.5, 0.3), 0.9619770744533817, -0.29936026275272964, 0.12087729776784913, 0.06522607615138015,
                0.11325688883350035, -0.13211956169668235, 0.13211956169668235, 0.0, 0.0);
    }

    @Test
    void distillCeWithoutTeacherScoresSaysWhatIsMissing() {
        NDArray[] c = teacherCase();
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DistillCe(1.0, 0.0).compute(new RankingBatch(c[0], c[0], c[2], null)));
        assertEquals("loss distill_ce needs teacher scores, but the training data has none", e.getMessage());
    }
}
