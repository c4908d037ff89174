package dev.winnow.rankinglosses;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/** Autograd gradients and central finite differences of a scalar loss of a score matrix (float64). */
final class LossChecks {
    private LossChecks() {}

    static double[] gradient(Function<NDArray, NDArray> loss, NDArray x) {
        NDArray p = x.duplicate();
        p.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.apply(p));
        }
        return p.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Central differences (h 1e-6) against autograd, entry by entry. */
    static void finiteDifferences(NDManager m, Function<NDArray, NDArray> loss, NDArray s, double tolerance) {
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
            assertEquals((fp - fm) / (2 * h), analytic[i], tolerance, "d/ds[" + i + "]");
        }
    }
}
