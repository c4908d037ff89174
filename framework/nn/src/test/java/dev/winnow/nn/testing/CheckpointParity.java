package dev.winnow.nn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.winnow.nn.Checkpointing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks that activation checkpointing changes nothing but memory: the loss and every parameter gradient of one
 * training forward/backward with {@code Checkpointing.open(every, true)} equal those with {@code open(every, false)}
 * (the same per-segment reseeding, every activation kept), within {@code tolerance} of the gradient's scale.
 */
public final class CheckpointParity {
    private CheckpointParity() {}

    /** Gradients and loss of one pass. */
    public record Pass(float loss, List<float[]> gradients, long recomputed) {}

    public static Pass pass(Map<String, NDArray> params, int every, boolean recompute, long seed, Supplier<NDArray> loss) {
        for (NDArray p : params.values()) {
            p.setRequiresGradient(true);
            JniUtils.zeroGrad((PtNDArray) p);
        }
        Engine.getInstance().setRandomSeed((int) seed);
        float value;
        long recomputed;
        try (Checkpointing.Session s = Checkpointing.open(every, recompute);
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = loss.get();
            value = l.getFloat();
            Checkpointing.backward(gc, l);
            recomputed = s.recomputedLayers();
        }
        List<float[]> grads = new ArrayList<>();
        for (NDArray p : params.values()) {
            grads.add(p.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
        }
        return new Pass(value, grads, recomputed);
    }

    /** Asserts checkpointed == kept for {@code every}, and that the checkpointed pass recomputed {@code layers} layers. */
    public static void check(Map<String, NDArray> params, int every, int layers, double tolerance, boolean dropout,
            Supplier<NDArray> loss) {
        Pass kept = pass(params, every, false, 1234, loss);
        Pass ck = pass(params, every, true, 1234, loss);
        assertEquals(0, kept.recomputed());
        assertEquals(layers, ck.recomputed(), "layers recomputed in backward");
        assertEquals(kept.loss(), ck.loss(), Math.abs(kept.loss()) * 1e-6 + 1e-7, "loss");
        List<String> names = new ArrayList<>(params.keySet());
        int nonZero = 0;
        for (int i = 0; i < names.size(); i++) {
            float[] a = kept.gradients().get(i);
            float[] b = ck.gradients().get(i);
            double scale = 0;
            double diff = 0;
            for (int j = 0; j < a.length; j++) {
                scale = Math.max(scale, Math.abs(a[j]));
                diff = Math.max(diff, Math.abs(a[j] - b[j]));
            }
            if (scale > 0) {
                nonZero++;
            }
            assertTrue(diff <= tolerance * scale + 1e-12, names.get(i) + ": max |difference| " + diff + " against scale " + scale);
        }
        assertTrue(nonZero >= names.size() / 2, "most gradients are non-zero (" + nonZero + " of " + names.size() + ")");
        if (dropout) { // the check means something only if the masks matter: another seed gives another loss
            Pass other = pass(params, every, true, 99, loss);
            assertTrue(other.loss() != ck.loss(), "dropout is live (another seed gives another loss)");
        }
    }
}
