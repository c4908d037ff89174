package dev.winnow.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * Tensor operations composed from DJL's PyTorch ops that models share. Attention, RMSNorm, the MLP activations,
 * rotary embedding and the linear products go through {@link dev.winnow.nn.kernels.Kernels} instead, where a
 * TorchScript implementation can replace the composed reference.
 */
public final class Ops {
    /** Added to attention scores at masked positions; exp() of it is exactly 0 in fp32. */
    public static final float MASKED = -1e9f;

    private Ops() {}

    /** {@code x W^T + b} (torch.nn.functional.linear); weight {@code [out, in]}. */
    public static NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /** Layer normalisation over the last axis. */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, double eps) {
        long last = x.getShape().get(x.getShape().dimension() - 1);
        return x.getNDArrayInternal().layerNorm(x, new Shape(last), gamma, beta, (float) eps).singletonOrThrow();
    }

    /** Rows of {@code table} for {@code ids} (torch.nn.functional.embedding). */
    public static NDArray embedding(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Dropout with probability {@code p}, active only when training. */
    public static NDArray dropout(NDArray x, double p, boolean training) {
        if (!training || p <= 0) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, (float) p, true).singletonOrThrow();
    }

    /** {@code [B, L]} 1/0 mask to an additive {@code [B, 1, 1, L]} mask of {@code type}. */
    public static NDArray paddingMask(NDArray attentionMask, DataType type) {
        NDArray m = attentionMask.toType(type, false);
        return m.neg().add(1f).mul(MASKED).expandDims(1).expandDims(1);
    }

    /** Mean of {@code hidden [B, L, H]} over real positions of {@code mask [B, L]}. */
    public static NDArray meanPool(NDArray hidden, NDArray mask) {
        NDArray m = mask.toType(hidden.getDataType(), false).expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
    }

    /** The hidden state of the last real token of each row, for left or right padding. */
    public static NDArray lastTokenPool(NDArray hidden, NDArray mask) {
        long length = mask.getShape().get(1);
        // index of the last 1 in each row: argmax over (position * mask)
        NDArray positions = mask.getManager().arange(0f, (float) length).expandDims(0);
        NDArray last = positions.mul(mask.toType(DataType.FLOAT32, false)).argMax(1);
        NDArray index = last.toType(DataType.INT64, false).reshape(-1, 1, 1)
                .broadcast(new Shape(hidden.getShape().get(0), 1, hidden.getShape().get(2)));
        return hidden.gather(index, 1).squeeze(1);
    }

    /** Seeded normal(0, std) values, drawn in Java so that initialisation does not depend on the engine's RNG. */
    public static float[] normal(long count, double std, long seed) {
        Random r = new Random(seed);
        float[] out = new float[Math.toIntExact(count)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (r.nextGaussian() * std);
        }
        return out;
    }
}
