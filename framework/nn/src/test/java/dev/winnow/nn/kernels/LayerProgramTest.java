package dev.winnow.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Precision;
import dev.winnow.nn.Ops;
import org.junit.jupiter.api.Test;

class LayerProgramTest {

    /** A linear + GELU + residual + LayerNorm layer as one module equals the op-by-op composed reference, forward and gradients. */
    @Test
    void aFusedLayerEqualsTheComposedOpsForwardAndBackward() {
        try (NDManager m = NDManager.newBaseManager()) {
            LayerProgram g = LayerProgram.of(Precision.FP32).params("x", "w", "b", "g", "e");
            g.line("h = torch.gelu(torch.linear(x, w, b))");
            g.line("y = torch.layer_norm(torch.add(h, x), [8], g, e, 1e-12)");
            NDArray x = m.randomNormal(new Shape(3, 5, 8));
            NDArray w = m.randomNormal(new Shape(8, 8)).mul(0.3f);
            NDArray b = m.randomNormal(new Shape(8));
            NDArray gamma = m.randomNormal(new Shape(8));
            NDArray beta = m.randomNormal(new Shape(8));
            float[][] fused = outputAndGradient(x, w, (xx, ww) -> g.run("y", xx, ww, b, gamma, beta));
            float[][] composed = outputAndGradient(x, w, (xx, ww) -> Ops.layerNorm(
                    ComposedKernels.INSTANCE.gelu(ComposedKernels.INSTANCE.linear(xx, ww, b)).add(xx), gamma, beta, 1e-12));
            for (int k = 0; k < 3; k++) {
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < composed[k].length; i++) {
                    scale = Math.max(scale, Math.abs(composed[k][i]));
                    diff = Math.max(diff, Math.abs(composed[k][i] - fused[k][i]));
                }
                assertTrue(diff <= 1e-5 * Math.max(1, scale), "part " + k + ": " + diff + " at scale " + scale);
            }
        }
    }

    @Test
    void theWrongNumberOfTensorsNamesTheParameters() {
        try (NDManager m = NDManager.newBaseManager()) {
            LayerProgram g = LayerProgram.of(Precision.FP32).params("x", "w");
            var e = assertThrows(IllegalArgumentException.class, () -> g.run("x", m.ones(new Shape(2))));
            assertEquals("layer program takes 2 tensors [x, w], got 1", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> g.params("x"));
        }
    }

    private static float[][] outputAndGradient(NDArray x0, NDArray w0, java.util.function.BinaryOperator<NDArray> f) {
        NDArray x = x0.duplicate();
        NDArray w = w0.duplicate();
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        float[] y;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = f.apply(x, w);
            y = out.toFloatArray();
            gc.backward(out.mul(out.getManager().arange(0f, (float) out.size()).reshape(out.getShape()).sin()).sum());
        }
        return new float[][] {y, x.getGradient().toFloatArray(), w.getGradient().toFloatArray()};
    }
}
