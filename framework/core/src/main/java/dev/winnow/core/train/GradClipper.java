package dev.winnow.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.model.Parameter;
import java.util.List;

/** Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClipper {
    private GradClipper() {}

    /**
     * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when the global L2 norm exceeds {@code maxNorm}
     * ({@code maxNorm <= 0}: no clipping). Returns the norm before clipping.
     */
    public static double clip(List<Parameter> params, double maxNorm) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double sumSquares = 0;
            for (Parameter p : params) {
                NDArray g = p.array().getGradient();
                sumSquares += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            }
            double norm = Math.sqrt(sumSquares);
            if (maxNorm > 0 && norm > maxNorm) {
                float scale = (float) (maxNorm / (norm + 1e-6));
                for (Parameter p : params) {
                    p.array().getGradient().muli(scale);
                }
            }
            return norm;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }
}
