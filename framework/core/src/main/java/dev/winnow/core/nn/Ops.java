package dev.winnow.core.nn;

import ai.djl.ndarray.NDArray;
import dev.winnow.core.kernels.KernelModule;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * Tensor operations composed from DJL's PyTorch ops. Every model goes through these, so that a faster
 * implementation (a fused kernel) replaces a composition in one place.
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

    /** RMS normalisation over the last axis: {@code x / sqrt(mean(x^2) + eps) * weight}. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        int last = x.getShape().dimension() - 1;
        NDArray rms = x.square().mean(new int[] {last}, true).add((float) eps).pow(-0.5f);
        return x.mul(rms).mul(weight);
    }

    /** GELU, the exact (erf) form that BERT, XLM-R and ModernBERT use. */
    public static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    /** SiLU (swish), {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
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

    /**
     * Scaled dot-product attention. {@code q} is {@code [B, H, Lq, D]}, {@code k} and {@code v} are
     * {@code [B, H, Lk, D]}; {@code additiveMask} broadcasts to {@code [B, H, Lq, Lk]} (0 where attending,
     * {@link #MASKED} where not).
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, @Nullable NDArray additiveMask, double dropout, boolean training) {
        boolean dropping = training && dropout > 0;
        if (!dropping && additiveMask != null && fused()) {
            return KernelModule.of(SDPA, q.getDevice()).forward(q, k, v, additiveMask).singletonOrThrow();
        }
        return composedAttention(q, k, v, additiveMask, dropout, training);
    }

    /**
     * torch.scaled_dot_product_attention with an additive mask of the inputs' dtype (no dropout), as a TorchScript
     * module of the kernel layer ({@link KernelModule} writes, loads and caches it per device).
     */
    static final String SDPA = "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
            + "  _is_full_backward_hook : Optional[bool]\n"
            + "  def forward(self: __torch__.M,\n    q: Tensor,\n    k: Tensor,\n    v: Tensor,\n    mask: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, mask)\n";

    /**
     * Whether attention runs through libtorch's fused {@code scaled_dot_product_attention} (a TorchScript kernel)
     * rather than composed DJL ops: system property {@code winnow.kernels} = {@code auto} (default) or
     * {@code torchscript} use it, {@code composed} does not. Attention with dropout always runs composed.
     */
    public static boolean fused() {
        String mode = System.getProperty("winnow.kernels", "auto");
        return !mode.equals("composed");
    }

    /** The reference composition: matmul, softmax, dropout, matmul. */
    public static NDArray composedAttention(NDArray q, NDArray k, NDArray v, @Nullable NDArray additiveMask, double dropout,
            boolean training) {
        long d = q.getShape().get(q.getShape().dimension() - 1);
        NDArray scores = q.matMul(k.swapAxes(-1, -2)).div((float) Math.sqrt(d));
        if (additiveMask != null) {
            scores = scores.add(additiveMask);
        }
        NDArray probs = dropout(scores.softmax(-1), dropout, training);
        return probs.matMul(v);
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
