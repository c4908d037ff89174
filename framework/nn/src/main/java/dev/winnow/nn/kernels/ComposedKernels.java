package dev.winnow.nn.kernels;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.winnow.api.model.Precision;
import dev.winnow.nn.Ops;
import org.jspecify.annotations.Nullable;

/**
 * Kernels composed from DJL operators only, in float32: the reference every other
 * implementation is tested against, and the fallback where TorchScript is unavailable.
 */
public final class ComposedKernels implements Kernels {

    /** The single instance (the class holds no state). */
    public static final ComposedKernels INSTANCE = new ComposedKernels();

    private ComposedKernels() {}

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
        NDArray keys = s.group() == 1 ? k : repeatHeads(k, s);
        NDArray values = s.group() == 1 ? v : repeatHeads(v, s);
        // double scalars: a 0-d operand keeps the array's type, so float32 is unchanged and float64 stays exact
        NDArray scores = Ops.div(q.matMul(keys.transpose(0, 1, 3, 2)), Math.sqrt(s.d()));
        if (additiveMask != null) {
            scores = scores.add(additiveMask);
        }
        if (causal) {
            scores = scores.add(causalMask(q.getManager(), s.l(), s.s()));
        }
        NDArray probs = scores.softmax(-1);
        if (training && dropout > 0) {
            probs = Dropout.dropout(probs, (float) dropout, true).singletonOrThrow();
        }
        return probs.matMul(values);
    }

    /** [L, S] additive mask: MASK_VALUE where key j lies after query i. */
    static NDArray causalMask(NDManager manager, long l, long s) {
        NDArray i = manager.arange(0, (int) l, 1, DataType.INT64).reshape(l, 1);
        NDArray j = manager.arange(0, (int) s, 1, DataType.INT64).reshape(1, s);
        return j.gt(i).toType(DataType.FLOAT32, false).mul(Scalars.of(MASK_VALUE));
    }

    private static NDArray repeatHeads(NDArray x, AttentionShape s) {
        // [B, Hkv, S, D] -> [B, Hkv, g, S, D] -> [B, H, S, D]: query head h reads kv head h / g
        return x.expandDims(2)
                .broadcast(new Shape(s.b(), s.hkv(), s.group(), s.s(), s.d()))
                .reshape(s.b(), s.h(), s.s(), s.d());
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add((float) eps).sqrt()).mul(weight);
    }

    @Override
    public NDArray swiglu(NDArray gate, NDArray up) {
        return gate.mul(Activation.sigmoid(gate)).mul(up);
    }

    @Override
    public NDArray gelu(NDArray x) {
        return Ops.mul(x, 0.5).mul(Ops.mul(x, 1 / Math.sqrt(2)).erf().add(1.0));
    }

    @Override
    public NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, x.getShape().dimension() - 1);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    @Override
    public NDArray groupLogSoftmax(NDArray scores, NDArray mask) {
        // valid: s*1 + 0 = s; masked: s*0 - 1e9 = -1e9 exactly, with zero gradient to s
        NDArray filled = scores.mul(mask).add(mask.sub(1f).mul(Scalars.of(-MASK_VALUE)));
        return filled.logSoftmax(-1).mul(mask);
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, @Nullable NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public Precision precision() {
        return Precision.FP32;
    }

    @Override
    public String toString() {
        return "composed";
    }
}
