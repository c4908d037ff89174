package dev.winnow.nn;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
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
        return m.neg().add(1f).mul(Scalars.of(MASKED)).expandDims(1).expandDims(1);
    }

    /** Mean of {@code hidden [B, L, H]} over real positions of {@code mask [B, L]}. */
    public static NDArray meanPool(NDArray hidden, NDArray mask) {
        NDArray m = mask.toType(hidden.getDataType(), false).expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(Scalars.of(1e-9f)));
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

    /**
     * A 0-d array holding {@code value} in {@code like}'s type and on its device, in memory that libtorch owns.
     *
     * <p>Use it (through {@link #mul}, {@link #div}, {@link #pow}, {@link #maximum}, {@link #minimum}) instead of DJL's
     * {@code NDArray} overloads that take a {@link Number} whenever the array can carry a gradient. Those overloads
     * build the scalar with {@code manager.create(n)}, which wraps a Java direct {@code ByteBuffer} with
     * {@code torch::from_blob} (libtorch does not own that memory and only the closed Java array kept the buffer
     * reachable), and close it right after the operation. The operation's autograd node saves the scalar tensor for
     * the backward pass ({@code MulBackward} the other factor, {@code DivBackward} the divisor, {@code PowBackward}
     * the exponent, {@code maximum}/{@code minimum} both operands), so a garbage collection between forward and
     * backward frees the buffer and backward reads whatever the allocator put there since: NaN, or silently wrong
     * gradients. ({@code add} and {@code sub} save no operand and are safe; so is anything without a graph.) The
     * array made here shares the scalar's value and type promotion with DJL's (a 0-d operand takes the other's
     * type), so results are unchanged.
     */
    public static NDArray scalar(NDArray like, double value) {
        return JniUtils.full((PtNDManager) like.getManager(), new Shape(), value, like.getDataType(), like.getDevice(),
                SparseFormat.DENSE);
    }

    /** {@code x * value}, safe under autograd (see {@link #scalar}). */
    public static NDArray mul(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.mul(s);
        }
    }

    /** {@code x / value}, safe under autograd (see {@link #scalar}). */
    public static NDArray div(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.div(s);
        }
    }

    /** {@code x ^ value}, safe under autograd (see {@link #scalar}). */
    public static NDArray pow(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.pow(s);
        }
    }

    /** Element-wise {@code max(x, value)}, safe under autograd (see {@link #scalar}). */
    public static NDArray maximum(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.maximum(s);
        }
    }

    /** Element-wise {@code min(x, value)}, safe under autograd (see {@link #scalar}). */
    public static NDArray minimum(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.minimum(s);
        }
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
