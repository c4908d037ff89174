package dev.winnow.nn.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.WinnowException;
import dev.winnow.api.model.Precision;
import java.math.BigDecimal;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernels that run one small TorchScript module each (written from Java by {@link
 * TorchScriptArchive}, cached per code text and device by {@link KernelModule}). Attention goes
 * through {@code torch.scaled_dot_product_attention} and RMSNorm through {@code torch.rms_norm}.
 *
 * <p>The bf16 and fp16 variants cast the inputs of matrix products and attention to bfloat16 or
 * float16 inside the module and cast the result back to float32, so that DJL never holds a bfloat16
 * array (which aborts the JVM) and parameters, gradients and optimizer state stay float32; the
 * backward pass runs in the same reduced precision. Reductions (RMSNorm, log-softmax) and
 * element-wise activations stay float32 in every variant: casting them at the module boundary
 * would cost precision and gain nothing.
 */
public final class TorchScriptKernels implements Kernels {

    /** Float32 throughout. */
    public static final TorchScriptKernels FP32 = new TorchScriptKernels(Precision.FP32);

    /** bfloat16 matrix products and attention. */
    public static final TorchScriptKernels BF16 = new TorchScriptKernels(Precision.BF16);

    /** float16 matrix products and attention (training needs loss scaling). */
    public static final TorchScriptKernels FP16 = new TorchScriptKernels(Precision.FP16);

    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptKernels.class);
    /** libtorch's ScalarType codes, as TorchScript code passes them to torch.to. */
    private static final int FLOAT16 = 5;
    private static final int BFLOAT16 = 15;
    private static final int FLOAT32 = 6;
    /** The additive value of a masked position in float16 (whose largest finite value is 65504). */
    static final float FP16_MASK_VALUE = -30000f;
    private static volatile @Nullable Boolean available;
    private static volatile @Nullable RuntimeException unavailableCause;

    private final Precision precision;

    private TorchScriptKernels(Precision precision) {
        this.precision = precision;
    }

    /** The variant that computes matrix products and attention in {@code precision}. */
    public static TorchScriptKernels of(Precision precision) {
        return switch (precision) {
            case FP32 -> FP32;
            case BF16 -> BF16;
            case FP16 -> FP16;
        };
    }

    /** Whether libtorch compiles and runs kernel modules here; probed once. */
    public static boolean available() {
        Boolean known = available;
        if (known == null) {
            synchronized (TorchScriptKernels.class) {
                known = available;
                if (known == null) {
                    known = probe();
                    available = known;
                }
            }
        }
        return known;
    }

    static void requireAvailable() {
        if (!available()) {
            throw new WinnowException(
                    "kernels: torchscript was asked for but libtorch cannot load TorchScript"
                            + " kernels",
                    unavailableCause);
        }
    }

    private static boolean probe() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = manager.create(new float[] {1f, -2f});
            float[] y = FP32.gelu(x).toFloatArray();
            return y.length == 2 && Math.abs(y[0] - 0.8413447f) < 1e-5f;
        } catch (RuntimeException e) {
            unavailableCause = e;
            LOG.warn("TorchScript kernels cannot be loaded: {}", e.toString());
            return false;
        }
    }

    @Override
    public NDArray attention(
            NDArray q,
            NDArray k,
            NDArray v,
            @Nullable NDArray additiveMask,
            boolean causal,
            double dropout,
            boolean training) {
        AttentionShape s = AttentionShape.check(q, k, v);
        double p = training ? dropout : 0.0;
        boolean gqa = s.group() != 1;
        StringBuilder body = new StringBuilder();
        String params = "q: Tensor, k: Tensor, v: Tensor" + (additiveMask != null ? ", m: Tensor" : "");
        String mask = "None";
        boolean isCausal = false;
        if (additiveMask != null) {
            mask = "m";
            if (causal) {
                // SDPA refuses a mask together with is_causal: fold the causal part into the mask
                body.append("    c = torch.triu(torch.full([torch.size(q, 2), torch.size(k, 2)], ")
                        .append(literal(MASK_VALUE))
                        .append(", dtype=6, device=q.device), 1)\n")
                        .append("    m0 = torch.add(m, c)\n");
                mask = "m0";
            }
        } else {
            isCausal = causal;
        }
        String qq = cast("q");
        String kk = cast("k");
        String vv = cast("v");
        if (gqa) {
            // explicit head repeat: SDPA's enable_gqa (with is_causal) gave wrong query gradients in
            // libtorch 2.7.1 on CPU (KernelParityTest.attentionGroupedQuery caught it)
            body.append("    k1 = torch.repeat_interleave(k, ").append(s.group()).append(", 1)\n");
            body.append("    v1 = torch.repeat_interleave(v, ").append(s.group()).append(", 1)\n");
            kk = cast("k1");
            vv = cast("v1");
        }
        String mm = mask.equals("None") ? "None" : castMask(mask);
        body.append("    o = torch.scaled_dot_product_attention(")
                .append(qq).append(", ").append(kk).append(", ").append(vv)
                .append(", ").append(mm)
                .append(", ").append(literal(p))
                .append(", ").append(isCausal ? "True" : "False")

                .append(")\n");
        body.append("    return ").append(uncast("o")).append("\n");
        KernelModule module = KernelModule.of(module(params, body.toString()), q.getDevice());
        return additiveMask == null
                ? module.forward(q, k, v).singletonOrThrow()
                : module.forward(q, k, v, additiveMask).singletonOrThrow();
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        String code = module("x: Tensor, w: Tensor",
                "    return torch.rms_norm(x, [torch.size(x, -1)], w, " + literal(eps) + ")\n");
        return run(code, x, weight);
    }

    @Override
    public NDArray swiglu(NDArray gate, NDArray up) {
        return run(module("g: Tensor, u: Tensor", "    return torch.mul(torch.silu(g), u)\n"), gate, up);
    }

    @Override
    public NDArray gelu(NDArray x) {
        return run(module("x: Tensor", "    return torch.gelu(x)\n"), x);
    }

    @Override
    public NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
        String code = module("x: Tensor, c: Tensor, s: Tensor",
                "    h = torch.chunk(x, 2, -1)\n"
                        + "    r = torch.cat([torch.neg(h[1]), h[0]], -1)\n"
                        + "    return torch.add(torch.mul(x, c), torch.mul(r, s))\n");
        return run(code, x, cos, sin);
    }

    @Override
    public NDArray groupLogSoftmax(NDArray scores, NDArray mask) {
        String code = module("s: Tensor, m: Tensor",
                "    f = torch.masked_fill(s, torch.le(m, 0.5), " + literal(MASK_VALUE) + ")\n"
                        + "    return torch.mul(torch.log_softmax(f, -1), m)\n");
        return run(code, scores, mask);
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias) {
        if (bias == null) {
            String code = module("x: Tensor, w: Tensor",
                    "    return " + uncast("torch.linear(" + cast("x") + ", " + cast("w") + ")") + "\n");
            return run(code, x, weight);
        }
        String code = module("x: Tensor, w: Tensor, b: Tensor",
                "    return " + uncast("torch.linear(" + cast("x") + ", " + cast("w") + ", "
                        + cast("b") + ")") + "\n");
        return run(code, x, weight, bias);
    }

    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public String toString() {
        return precision == Precision.FP32 ? "torchscript" : "torchscript-" + precision.name().toLowerCase(Locale.ROOT);
    }

    private static NDArray run(String code, NDArray... inputs) {
        return KernelModule.of(code, inputs[0].getDevice()).forward(inputs).singletonOrThrow();
    }

    private String cast(String expr) {
        return switch (precision) {
            case FP32 -> expr;
            case BF16 -> "torch.to(" + expr + ", " + BFLOAT16 + ")";
            case FP16 -> "torch.to(" + expr + ", " + FLOAT16 + ")";
        };
    }

    /**
     * An additive mask in the compute precision. float16 cannot hold {@link #MASK_VALUE} (it would
     * become -infinity, and a row masked everywhere would turn NaN), so there masked positions get
     * {@link #FP16_MASK_VALUE}, which still leaves exp() at exactly 0 and room for the scores.
     */
    private String castMask(String expr) {
        return precision == Precision.FP16
                ? cast("torch.clamp(" + expr + ", " + literal(FP16_MASK_VALUE) + ")")
                : cast(expr);
    }

    private String uncast(String expr) {
        return precision == Precision.FP32 ? expr : "torch.to(" + expr + ", " + FLOAT32 + ")";
    }

    /** Module source in the form libtorch's own serializer writes. */
    static String module(String params, String body) {
        return "class M(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  _is_full_backward_hook : Optional[bool]\n"
                + "  def forward(self: __torch__.M,\n"
                + "    " + params + ") -> Tensor:\n"
                + body.replace("\n    ", "\n    ");
    }

    /** A float literal TorchScript parses as a float (always with a decimal point). */
    static String literal(double value) {
        String s = BigDecimal.valueOf(value).toPlainString();
        return s.contains(".") ? s : s + ".0";
    }
}
