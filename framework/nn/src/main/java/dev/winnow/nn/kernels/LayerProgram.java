package dev.winnow.nn.kernels;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.model.Precision;
import java.util.ArrayList;
import java.util.List;

/**
 * The TorchScript source of a whole model layer (or several), written from Java and run as one
 * {@link KernelModule}: one native call per layer instead of one per operator, with the
 * activations kept in the compute precision from the layer's entry to its exit.
 *
 * <p>Architectures build their layer from statements over named tensor parameters; {@link
 * #compute} casts a float32 tensor to the compute precision (bfloat16 or float16 for the reduced
 * variants) and {@link #float32} casts the result back, so that DJL never holds a reduced-precision
 * array. The module is differentiable: under a gradient collector, gradients flow back to the
 * float32 inputs through libtorch's autograd.
 */
public final class LayerProgram {
    private static final int FLOAT16 = 5;
    private static final int BFLOAT16 = 15;
    private static final int FLOAT32 = 6;

    /**
     * The system property that turns fused layers off ({@code -Dwinnow.fused=false}): models then run their layers
     * op by op through the kernels even where a fused layer exists (for comparisons and benchmarks).
     */
    public static final String FUSED_PROPERTY = "winnow.fused";

    private final Precision precision;
    private final List<String> params = new ArrayList<>();
    private final StringBuilder body = new StringBuilder();

    private LayerProgram(Precision precision) {
        this.precision = precision;
    }

    /** Whether fused layers may be used: true unless {@value #FUSED_PROPERTY} is {@code false}. */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(FUSED_PROPERTY, "true").trim());
    }

    /**
     * Whether {@value #FUSED_PROPERTY} is {@code native}: an architecture that has one then runs its fp32 inference
     * layers through libtorch's own fused operator (for post-LN BERT, {@code aten::_transformer_encoder_layer_fwd},
     * the fast path of nn.TransformerEncoderLayer) instead of Winnow's fused layer. Opt-in, for the benchmark's
     * comparison against the composed reference; it has no backward, so training never uses it.
     */
    public static boolean nativeLayers() {
        return "native".equalsIgnoreCase(System.getProperty(FUSED_PROPERTY, "").trim());
    }

    /**
     * {@code torch.dropout(expr, p, True)}, or {@code expr} itself when {@code p} is 0. Inside a module it draws its
     * mask from libtorch's generator exactly as DJL's dropout does ({@code at::dropout}), so a fused layer that
     * calls it where the op-by-op layer calls {@code Ops.dropout} (and passes the attention rate to SDPA where the
     * kernels do) draws the same masks from the same seed.
     */
    public static String dropout(String expr, double p) {
        return p > 0 ? "torch.dropout(" + expr + ", " + literal(p) + ", True)" : expr;
    }

    /** An empty program computing in {@code precision}. */
    public static LayerProgram of(Precision precision) {
        return new LayerProgram(precision);
    }

    /** The compute precision. */
    public Precision precision() {
        return precision;
    }

    /** Declares tensor parameters, in the order {@link #run} receives them. */
    public LayerProgram params(String... names) {
        for (String n : names) {
            if (params.contains(n)) {
                throw new IllegalArgumentException("parameter " + n + " declared twice");
            }
            params.add(n);
        }
        return this;
    }

    /** Appends one statement of the forward body. */
    public LayerProgram line(String statement) {
        body.append("    ").append(statement).append('\n');
        return this;
    }

    /** {@code expr} in the compute precision (unchanged in float32). */
    public String compute(String expr) {
        return switch (precision) {
            case FP32 -> expr;
            case BF16 -> "torch.to(" + expr + ", " + BFLOAT16 + ")";
            case FP16 -> "torch.to(" + expr + ", " + FLOAT16 + ")";
        };
    }

    /**
     * An additive attention mask (float32, 0 or {@link Kernels#MASK_VALUE}) in the compute
     * precision; float16 cannot hold the mask value, so there it is clamped to a value whose exp()
     * is still exactly 0.
     */
    public String computeMask(String expr) {
        return precision == Precision.FP16
                ? compute("torch.clamp(" + expr + ", " + literal(TorchScriptKernels.FP16_MASK_VALUE) + ")")
                : compute(expr);
    }

    /** {@code expr} back in float32 (unchanged in float32). */
    public String float32(String expr) {
        return precision == Precision.FP32 ? expr : "torch.to(" + expr + ", " + FLOAT32 + ")";
    }

    /** The module source returning {@code result}. */
    public String code(String result) {
        if (params.isEmpty()) {
            throw new IllegalStateException("a layer program needs at least one tensor parameter");
        }
        StringBuilder p = new StringBuilder();
        for (String n : params) {
            p.append(p.length() == 0 ? "" : ", ").append(n).append(": Tensor");
        }
        return TorchScriptKernels.module(p.toString(), body + "    return " + result + "\n");
    }

    /**
     * Compiles (once per code text and device) and runs the program.
     *
     * @param result the returned expression
     * @param inputs one array per declared parameter, in order
     * @return the single result
     */
    public NDArray run(String result, NDArray... inputs) {
        if (inputs.length != params.size()) {
            throw new IllegalArgumentException(
                    "layer program takes " + params.size() + " tensors " + params + ", got " + inputs.length);
        }
        TorchScriptKernels.requireAvailable();
        return KernelModule.of(code(result), inputs[0].getDevice()).forward(inputs).singletonOrThrow();
    }

    /** A float literal TorchScript parses as a float. */
    public static String literal(double value) {
        return TorchScriptKernels.literal(value);
    }
}
