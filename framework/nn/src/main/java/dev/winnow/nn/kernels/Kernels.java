package dev.winnow.nn.kernels;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.WinnowException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The differentiable building blocks model code calls instead of composing DJL operators: typed
 * tensors in, tensors out, float32 at the boundary. Implementations differ in speed and in the
 * precision used inside, never in meaning; {@link ComposedKernels} is the reference.
 *
 * <p>Masks are additive float32 arrays: 0 where attention is allowed and {@link #MASK_VALUE}
 * where it is not. A large finite value (not -infinity) keeps rows that mask every key (left
 * padding under a causal mask) finite instead of NaN.
 */
public interface Kernels {

    /** The additive value of a masked position. */
    float MASK_VALUE = -1e9f;

    /**
     * Scaled dot-product attention, softmax(q kᵀ / √D + mask) v.
     *
     * @param q queries [B, H, L, D]
     * @param k keys [B, Hkv, S, D], with H a multiple of Hkv (grouped-query attention: query head
     *     h reads key/value head h / (H / Hkv))
     * @param v values [B, Hkv, S, D]
     * @param additiveMask broadcastable to [B, H, L, S] (e.g. {@link #paddingMask}), or null
     * @param causal whether query i may only see keys j ≤ i (top-left aligned)
     * @param dropout attention-probability dropout rate, applied only when {@code training}
     * @param training whether this is a training forward
     * @return [B, H, L, D] float32
     */
    NDArray attention(
            NDArray q,
            NDArray k,
            NDArray v,
            @Nullable NDArray additiveMask,
            boolean causal,
            double dropout,
            boolean training);

    /** RMSNorm over the last axis: x / √(mean(x²) + eps) · weight. Computed in float32. */
    NDArray rmsNorm(NDArray x, NDArray weight, double eps);

    /** SwiGLU activation: silu(gate) · up, element-wise. */
    NDArray swiglu(NDArray gate, NDArray up);

    /** Exact (erf) GELU. */
    NDArray gelu(NDArray x);

    /**
     * Rotary position embedding, Hugging Face rotate_half convention: x·cos + rotate_half(x)·sin,
     * where rotate_half(x) = concat(-x[..., D/2:], x[..., :D/2]).
     *
     * @param x [B, H, L, D]
     * @param cos broadcastable to x (e.g. [B, 1, L, D])
     * @param sin same shape as cos
     */
    NDArray applyRotary(NDArray x, NDArray cos, NDArray sin);

    /**
     * Log-softmax over the last axis restricted to the valid members of each group; masked
     * members get 0 (so they add nothing to sums) and receive no gradient. A group with no
     * valid member gives all zeros. Computed in float32.
     *
     * @param scores [N, G]
     * @param mask [N, G] float32, 1 for a valid member and 0 otherwise
     */
    NDArray groupLogSoftmax(NDArray scores, NDArray mask);

    /**
     * Linear map x·Wᵀ + b (the matrix product that dominates a transformer's compute).
     *
     * @param x [..., in]
     * @param weight [out, in]
     * @param bias [out], or null
     */
    NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias);

    /**
     * The precision of matrix products and attention inside the kernels (RMSNorm, activations and
     * log-softmax stay float32 in every variant).
     */
    Precision precision();

    /** The system property that overrides a recipe's {@code kernels} (for benchmarks and comparisons). */
    String OVERRIDE_PROPERTY = "winnow.kernels";

    /**
     * The kernels a model built with {@code options} computes with: {@code options.kernels()} unless
     * the system property {@value #OVERRIDE_PROPERTY} names another mode, in {@code options.precision()}.
     *
     * @throws UserException as {@link #select}, or when the property names no mode
     */
    static Kernels forModel(ModelOptions options) {
        String override = System.getProperty(OVERRIDE_PROPERTY);
        KernelMode mode = override == null || override.isBlank() ? options.kernels() : KernelMode.parse(override);
        return select(mode, options.precision());
    }

    /**
     * The kernels for a run.
     *
     * @param mode the recipe's {@code kernels} value
     * @param precision the recipe's {@code train.precision}
     * @return the implementation
     * @throws UserException when fp16 or bf16 is asked for but only composed kernels are chosen or
     *     available (they compute in float32 only)
     * @throws WinnowException when {@code mode} is TORCHSCRIPT and libtorch cannot load kernels
     */
    static Kernels select(KernelMode mode, Precision precision) {
        Logger log = LoggerFactory.getLogger(Kernels.class);
        String p = precision.name().toLowerCase(java.util.Locale.ROOT);
        switch (mode) {
            case COMPOSED -> {
                if (precision != Precision.FP32) {
                    throw new UserException("train.precision: " + p + " needs 'kernels: torchscript' or 'kernels:"
                            + " auto'; the composed kernels (kernels: composed) compute in fp32 only");
                }
                return ComposedKernels.INSTANCE;
            }
            case TORCHSCRIPT -> {
                TorchScriptKernels.requireAvailable();
                return TorchScriptKernels.of(precision);
            }
            default -> {
                if (TorchScriptKernels.available()) {
                    return TorchScriptKernels.of(precision);
                }
                if (precision != Precision.FP32) {
                    throw new UserException("train.precision: " + p + " needs TorchScript kernels, which libtorch"
                            + " could not load here (see the log); use precision: fp32");
                }
                log.warn("TorchScript kernels are unavailable; using composed DJL kernels");
                return ComposedKernels.INSTANCE;
            }
        }
    }

    /**
     * Turns a [B, S] attention mask of ones (token) and zeros (padding) into an additive
     * [B, 1, 1, S] float32 mask for {@link #attention}.
     */
    static NDArray paddingMask(NDArray attentionMask) {
        Shape s = attentionMask.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("attention mask must be [B, S], got " + s);
        }
        return attentionMask
                .toType(DataType.FLOAT32, false)
                .sub(1f)
                .mul(Scalars.of(-MASK_VALUE))
                .reshape(s.get(0), 1, 1, s.get(1));
    }
}
