package dev.winnow.rankinglosses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Values checked by hand: softplus(t) = log(1 + e^t), sigma(t) = 1 / (1 + e^-t), lse = log-sum-exp.
 */
class RankingLossesTest {
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

    NDArray a(float[] v, int rows) {
        return m.create(v, new Shape(rows, v.length / rows));
    }

    /** scores [[2, -1], [0.5, 3]], labels [[1, 0], [1, 0]], the 3 is padding. */
    NDArray[] bceCase() {
        return new NDArray[] {a(new float[] {2, -1, 0.5f, 3}, 2), a(new float[] {1, 0, 1, 0}, 2), a(new float[] {1, 1, 1, 0}, 2)};
    }

    @Test
    void pointwiseBceByHand() {
        NDArray[] c = bceCase();
        // (softplus(-2) + softplus(-1) + softplus(-0.5)) / 3 = (0.126928 + 0.313262 + 0.474077) / 3
        assertEquals(0.3047555609, new PointwiseBce(null).compute(c[0], c[1], c[2]).getFloat(), 1e-6);
        // pos_weight 3 triples the positive terms: (3*0.126928 + 0.313262 + 3*0.474077) / 3
        assertEquals(0.7054255577, new PointwiseBce(3.0).compute(c[0], c[1], c[2]).getFloat(), 1e-6);
    }

    @Test
    void pointwiseBceGradientIsSigmoidMinusLabelOverCount() {
        NDArray[] c = bceCase();
        float[] g = gradient(s -> new PointwiseBce(null).compute(s, c[1], c[2]), c[0]);
        // (sigma(2) - 1)/3, sigma(-1)/3, (sigma(0.5) - 1)/3, and 0 for the padded entry
        assertArrayEquals(new float[] {-0.0397343f, 0.0896471f, -0.1258469f, 0f}, g, 1e-6f);
        assertFiniteDifferences(new PointwiseBce(2.0), c);
    }

    @Test
    void pointwiseBceIsStableForLargeLogits() {
        NDArray s = a(new float[] {80, -80}, 1);
        NDArray y = a(new float[] {0, 1}, 1);
        // each term is about 80: log(1 + e^80) without overflow
        assertEquals(80f, new PointwiseBce(null).compute(s, y, s.onesLike()).getFloat(), 1e-4f);
    }

    /** scores [[3, 1, 0], [0, 2, 99]], positive first, the 99 is padding. */
    NDArray[] listCase() {
        return new NDArray[] {a(new float[] {3, 1, 0, 0, 2, 99}, 2), a(new float[] {1, 0, 0, 1, 0, 0}, 2),
            a(new float[] {1, 1, 1, 1, 1, 0}, 2)};
    }

    @Test
    void listwiseCeByHand() {
        NDArray[] c = listCase();
        // ((lse(3,1,0) - 3) + (lse(0,2) - 0)) / 2 = (0.169846 + 2.126928) / 2
        assertEquals(1.1483870153, new ListwiseCe(1.0, 2).compute(c[0], c[1], c[2]).getFloat(), 1e-6);
        // temperature 0.5 doubles the scores: ((lse(6,2,0) - 6) + lse(0,4)) / 2
        assertEquals(2.0193655334, new ListwiseCe(0.5, 2).compute(c[0], c[1], c[2]).getFloat(), 1e-5);
        // min_group_size 3 skips the second group (2 real entries)
        assertEquals(0.1698460196, new ListwiseCe(1.0, 3).compute(c[0], c[1], c[2]).getFloat(), 1e-6);
    }

    @Test
    void listwiseCeGradientIsSoftmaxMinusTargetOverGroups() {
        NDArray[] c = listCase();
        float[] g = gradient(s -> new ListwiseCe(1.0, 2).compute(s, c[1], c[2]), c[0]);
        assertArrayEquals(new float[] {-0.0781026f, 0.0570976f, 0.0210050f, -0.4403985f, 0.4403985f, 0f}, g, 1e-6f);
        assertFiniteDifferences(new ListwiseCe(0.7, 2), c);
    }

    @Test
    void listwiseCeSkipsGroupsWithoutPositiveAndSplitsSeveralPositives() {
        NDArray s = a(new float[] {3, 1, 0, 5, 5, 5}, 2);
        NDArray y = a(new float[] {1, 1, 0, 0, 0, 0}, 2);
        // group 2 has no positive: skipped; group 1's target is [0.5, 0.5, 0]:
        // -(0.5 (3 - lse) + 0.5 (1 - lse)) with lse = lse(3, 1, 0)
        assertEquals(1.1698460196, new ListwiseCe(1.0, 2).compute(s, y, s.onesLike()).getFloat(), 1e-6);
        NDArray none = a(new float[] {0, 0, 0, 0, 0, 0}, 2);
        assertEquals(0f, new ListwiseCe(1.0, 2).compute(s, none, s.onesLike()).getFloat());
    }

    float[] gradient(Function<NDArray, NDArray> loss, NDArray x) {
        NDArray p = x.duplicate();
        p.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.apply(p));
        }
        return p.getGradient().toFloatArray();
    }

    /** Central differences in float64 against autograd in float64. */
    void assertFiniteDifferences(RankingLoss loss, NDArray[] c) {
        NDArray s = c[0].toType(DataType.FLOAT64, false);
        NDArray y = c[1].toType(DataType.FLOAT64, false);
        NDArray mask = c[2].toType(DataType.FLOAT64, false);
        NDArray p = s.duplicate();
        p.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.compute(p, y, mask));
        }
        double[] analytic = p.getGradient().toDoubleArray();
        double[] base = s.toDoubleArray();
        double h = 1e-6;
        for (int i = 0; i < base.length; i++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            plus[i] += h;
            minus[i] -= h;
            double fp = loss.compute(m.create(plus, s.getShape()), y, mask).getDouble();
            double fm = loss.compute(m.create(minus, s.getShape()), y, mask).getDouble();
            assertEquals((fp - fm) / (2 * h), analytic[i], 1e-7, "d/ds[" + i + "]");
        }
    }
}
