package dev.winnow.nn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Whole-model comparisons between kernel paths: the model's output and the gradient of every parameter, for a
 * loss {@code sum(output * r)} with fixed random weights r (so that every output element and every parameter
 * matters).
 */
public final class KernelPaths {
    private KernelPaths() {}

    /**
     * The output ({@code "output"}) and each parameter's gradient, by parameter name, from an inference-mode
     * forward (no dropout). Call it once per model instance: gradients accumulate in the parameters.
     */
    public static Map<String, float[]> outputAndGradients(WinnowModel model, Function<NDManager, TokenBatch> batch) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (Parameter p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = model.forward(batch.apply(m), false);
                NDArray r = m.create(weights(y.getShape().size()), y.getShape());
                gc.backward(y.mul(r).sum());
                out.put("output", y.toFloatArray());
            }
            for (Parameter p : model.parameters().all()) {
                out.put(p.name(), p.array().getGradient().toFloatArray());
            }
        }
        return out;
    }

    /**
     * Asserts every array of {@code got} equals {@code reference} within {@code tolerance}: absolute, or (when
     * {@code relative}) relative to the largest magnitude of that reference array. Returns the worst difference.
     */
    public static double assertClose(Map<String, float[]> reference, Map<String, float[]> got, double tolerance,
            boolean relative) {
        assertEquals(reference.keySet(), got.keySet());
        double worst = 0;
        for (var e : reference.entrySet()) {
            float[] a = e.getValue();
            float[] b = got.get(e.getKey());
            assertEquals(a.length, b.length, e.getKey());
            double scale = 0;
            double d = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Float.isFinite(b[i]), e.getKey() + "[" + i + "] is not finite");
                scale = Math.max(scale, Math.abs(a[i]));
                d = Math.max(d, Math.abs(a[i] - b[i]));
            }
            double measured = relative && scale > 0 ? d / scale : d;
            assertTrue(measured <= tolerance, e.getKey() + " differs by " + measured + (relative ? " (of its scale)" : ""));
            worst = Math.max(worst, measured);
        }
        return worst;
    }

    private static float[] weights(long n) {
        Random r = new Random(5);
        float[] w = new float[Math.toIntExact(n)];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }
}
