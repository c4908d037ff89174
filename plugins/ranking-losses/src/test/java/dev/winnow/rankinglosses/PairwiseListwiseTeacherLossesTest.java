package dev.winnow.rankinglosses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.loss.RankingBatch;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Expected values from src/test/resources/ranking-losses/expected.py (numpy, written from the definitions). */
class PairwiseListwiseTeacherLossesTest {
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

    /** Graded labels with a tie (entries 1 and 2 of group 1), the 9 / label 5 is padding. */
    NDArray[] rankCase() {
        return new NDArray[] {a(2, 0.5, -1, 1, 3, 9), a(2, 1, 1, 1, 0, 5), a(1, 1, 1, 1, 1, 0)};
    }

    @Test
    void ranknetValuesGradientsAndFiniteDifferences() {
        NDArray[] c = rankCase();
        assertEquals(1.1430610541132655, new RankNet(1.0, 1e-10).compute(c[0], c[1], c[2]).getDouble(), 1e-7);
        assertEquals(1.9568777881305806, new RankNet(2.0, 1e-10).compute(c[0], c[1], c[2]).getDouble(), 1e-7);
        assertArrayEquals(new double[] {-0.11053515685670205, 0.08772813284233395, 0.0228070240143681,
            -0.4235738588093935, 0.4235738588093935, 0.0},
                gradient(s -> new RankNet(1.0, 1e-10).compute(s, c[1], c[2]), c[0]), 1e-7);
        finiteDifferences(new RankNet(1.5, 1e-10), c);
    }

    @Test
    void ranknetHasNoPairsWhenAllTiedAndStaysFiniteForHugeGaps() {
        NDArray s = a(1, 2, 3, 4);
        assertEquals(0.0, new RankNet(1.0, 1e-10).compute(s, a(1, 1, 0, 0), s.onesLike()).getDouble());
        // sigmoid(-200) is below eps: -log2(1e-10) per pair, gradient 0 and not NaN
        NDArray far = a(-100, 100, 0, 0);
        NDArray y = a(1, 0, 0, 0);
        assertEquals(-Math.log(1e-10) / Math.log(2), new RankNet(1.0, 1e-10).compute(far, y, a(1, 1, 0, 0)).getDouble(), 1e-6);
        assertArrayEquals(new double[4], gradient(x -> new RankNet(1.0, 1e-10).compute(x, y, a(1, 1, 0, 0)), far), 0);
    }

    @Test
    void listnetUsesGradedLabelsAndIgnoresPadding() {
        NDArray[] c = {a(3, 1, 0, 0, 2, 99), a(2, 1, 0, 1, 1, 7), a(1, 1, 1, 1, 1, 0)};
        assertEquals(1.0281613461099974, new ListNet().compute(c[0], c[1], c[2]).getDouble(), 1e-7);
        assertArrayEquals(new double[] {0.08927688935325884, -0.06526663583510157, -0.024010253518157207,
            -0.1903985389889412, 0.19039853898894116, 0.0},
                gradient(s -> new ListNet().compute(s, c[1], c[2]), c[0]), 1e-10);
        finiteDifferences(new ListNet(), c);
    }

    NDArray[] teacherCase() {
        return new NDArray[] {a(2, 1, 0.5, 1, 3, 99), a(4, 1, 2, 0, 1, -5), a(1, 1, 1, 1, 1, 0)};
    }

    @Test
    void mseAndMarginMseAgainstTeacherScores() {
        NDArray[] c = teacherCase();
        NDArray y = c[0].zerosLike();
        assertEquals(2.25, new TeacherMse().compute(new RankingBatch(c[0], y, c[2], c[1])).getDouble(), 1e-12);
        assertEquals(1.75, new MarginMse().compute(new RankingBatch(c[0], y, c[2], c[1])).getDouble(), 1e-12);
        // mse gradient 2 (s - t) / 5 on real entries; margin_mse checked by finite differences
        assertArrayEquals(new double[] {-0.8, 0, -0.6, 0.4, 0.8, 0},
                gradient(s -> new TeacherMse().compute(new RankingBatch(s, y, c[2], c[1])), c[0]), 1e-12);
        for (RankingLoss loss : new RankingLoss[] {new TeacherMse(), new MarginMse()}) {
            finiteDifferences(s -> loss.compute(new RankingBatch(s, y, c[2], c[1])), c[0]);
        }
    }

    @Test
    void teacherLossesWithoutTeacherScoresSayWhatIsMissing() {
        NDArray[] c = teacherCase();
        var e = assertThrows(IllegalArgumentException.class,
                () -> new MarginMse().compute(new RankingBatch(c[0], c[0], c[2], null)));
        assertEquals("loss margin_mse needs teacher scores, but the training data has none", e.getMessage());
    }

    double[] gradient(Function<NDArray, NDArray> loss, NDArray x) {
        NDArray p = x.duplicate();
        p.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.apply(p));
        }
        return p.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
    }

    void finiteDifferences(RankingLoss loss, NDArray[] c) {
        finiteDifferences(s -> loss.compute(s, c[1], c[2]), c[0]);
    }

    /** Central differences in float64 against autograd. */
    void finiteDifferences(Function<NDArray, NDArray> loss, NDArray s) {
        double[] analytic = gradient(loss, s);
        double[] base = s.toDoubleArray();
        double h = 1e-6;
        for (int i = 0; i < base.length; i++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            plus[i] += h;
            minus[i] -= h;
            double fp = loss.apply(m.create(plus, s.getShape())).getDouble();
            double fm = loss.apply(m.create(minus, s.getShape())).getDouble();
            assertEquals((fp - fm) / (2 * h), analytic[i], 1e-7, "d/ds[" + i + "]");
        }
    }
}
