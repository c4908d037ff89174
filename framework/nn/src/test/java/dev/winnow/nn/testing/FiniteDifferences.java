package dev.winnow.nn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import java.util.function.Supplier;

/** Autograd gradients against central finite differences, for float64 parameters. */
public final class FiniteDifferences {
    private FiniteDifferences() {}

    /**
     * Checks d(loss)/d(param[i]) at each probe index: autograd against {@code (f(x+h) - f(x-h)) / 2h} with
     * {@code h = 1e-6}, within {@code 1e-6 + 1e-4 |grad|}. The parameter is restored afterwards.
     */
    public static void check(String name, NDArray param, Supplier<NDArray> loss, int... probes) {
        param.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.get());
        }
        double[] grad = param.getGradient().toDoubleArray();
        double[] values = param.toDoubleArray();
        for (int i : probes) {
            double h = 1e-6;
            double orig = values[i];
            values[i] = orig + h;
            param.set(values);
            double plus = loss.get().getDouble();
            values[i] = orig - h;
            param.set(values);
            double minus = loss.get().getDouble();
            values[i] = orig;
            param.set(values);
            assertEquals((plus - minus) / (2 * h), grad[i], 1e-6 + 1e-4 * Math.abs(grad[i]), name + "[" + i + "]");
        }
        param.setRequiresGradient(false);
    }

    /** First, middle and last element. */
    public static int[] spread(NDArray param) {
        int n = Math.toIntExact(param.size());
        return new int[] {0, n / 2, n - 1};
    }
}
