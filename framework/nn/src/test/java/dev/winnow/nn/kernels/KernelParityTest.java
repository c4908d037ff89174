package dev.winnow.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Every TorchScript kernel against the composed DJL reference: outputs and input gradients
 * equal within 1e-5 in float32, and within a documented tolerance in bf16 and fp16.
 *
 * <p>bf16 tolerance: bf16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.002 per cast);
 * over a sum of K products the error grows like √K times that. The bf16 check is therefore
 * relative to the reference's scale: max |bf16 − fp32| ≤ {@link #BF16_TOL} · max |fp32|, with
 * BF16_TOL = 0.03 (measured worst cases in these tests are listed in the report of the run).
 * float16 keeps 11 significant bits (2^-11 per cast, four times finer), so FP16_TOL = 0.01 under
 * the same scale-relative measure.
 */
class KernelParityTest {

    static final double FP32_TOL = 1e-5;
    static final double BF16_TOL = 3e-2;
    static final double FP16_TOL = 1e-2;

    /** Result of running one kernel: the output and the gradients of every input. */
    record Run(float[] out, List<float[]> grads, Shape shape) {}

    /** Runs {@code f} on fresh copies of {@code inputs} with gradients, loss = sum(out · w). */
    static Run run(Kernels kernels, List<float[]> data, List<Shape> shapes, boolean[] grad,
            BiFunction<Kernels, NDList, NDArray> f) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList in = new NDList();
            for (int i = 0; i < data.size(); i++) {
                NDArray a = m.create(data.get(i), shapes.get(i));
                if (grad[i]) {
                    a.setRequiresGradient(true);
                }
                in.add(a);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = f.apply(kernels, in);
                float[] w = random(out.getShape().size(), 99);
                NDArray loss = out.mul(m.create(w, out.getShape())).sum();
                gc.backward(loss);
                List<float[]> grads = new ArrayList<>();
                for (int i = 0; i < in.size(); i++) {
                    grads.add(grad[i] ? in.get(i).getGradient().toFloatArray() : new float[0]);
                }
                return new Run(out.toFloatArray(), grads, out.getShape());
            }
        }
    }

    static double check(Kernels ts, double tol, List<float[]> data, List<Shape> shapes,
            boolean[] grad, BiFunction<Kernels, NDList, NDArray> f) {
        Run ref = run(ComposedKernels.INSTANCE, data, shapes, grad, f);
        Run got = run(ts, data, shapes, grad, f);
        assertEquals(ref.shape(), got.shape());
        boolean relative = ts.precision() != Precision.FP32;
        double worst = diff(ref.out(), got.out(), relative);
        assertTrue(worst <= tol, ts + " output differs by " + worst);
        for (int i = 0; i < data.size(); i++) {
            double d = diff(ref.grads().get(i), got.grads().get(i), relative);
            assertTrue(d <= tol, ts + " gradient of input " + i + " differs by " + d);
            worst = Math.max(worst, d);
        }
        System.out.printf("parity %s: worst %s difference %.3g%n", ts,
                relative ? "scale-relative" : "absolute", worst);
        return worst;
    }

    static double diff(float[] ref, float[] got, boolean relative) {
        double d = maxDiff(ref, got);
        if (!relative) {
            return d;
        }
        double scale = 0;
        for (float x : ref) {
            scale = Math.max(scale, Math.abs(x));
        }
        return scale == 0 ? d : d / scale;
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]) && Float.isFinite(b[i]), "non-finite at " + i);
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static float[] random(long n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[(int) n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static void both(List<float[]> data, List<Shape> shapes, boolean[] grad,
            BiFunction<Kernels, NDList, NDArray> f) {
        check(TorchScriptKernels.FP32, FP32_TOL, data, shapes, grad, f);
        check(TorchScriptKernels.BF16, BF16_TOL, data, shapes, grad, f);
        check(TorchScriptKernels.FP16, FP16_TOL, data, shapes, grad, f);
    }

    static List<float[]> data(Shape... shapes) {
        List<float[]> d = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            d.add(random(shapes[i].size(), 17 + i));
        }
        return d;
    }

    @Test
    void attentionPlain() {
        Shape q = new Shape(2, 4, 8, 16);
        List<Shape> s = List.of(q, q, q);
        both(data(q, q, q), s, new boolean[] {true, true, true},
                (k, in) -> k.attention(in.get(0), in.get(1), in.get(2), null, false, 0.1, false));
    }

    @Test
    void attentionCausalWithoutMask() {
        Shape q = new Shape(2, 4, 8, 16);
        both(data(q, q, q), List.of(q, q, q), new boolean[] {true, true, true},
                (k, in) -> k.attention(in.get(0), in.get(1), in.get(2), null, true, 0, true));
    }

    @Test
    void attentionPaddingMask() {
        Shape q = new Shape(2, 4, 8, 16);
        float[] mask = new float[16];
        for (int j = 0; j < 8; j++) {
            mask[j] = 1f; // row 0 full
            mask[8 + j] = j < 5 ? 1f : 0f; // row 1 right-padded: 3 pad tokens
        }
        List<float[]> d = data(q, q, q);
        d.add(mask);
        both(d, List.of(q, q, q, new Shape(2, 8)), new boolean[] {true, true, true, false},
                (k, in) -> k.attention(in.get(0), in.get(1), in.get(2),
                        Kernels.paddingMask(in.get(3)), false, 0, false));
    }

    @Test
    void attentionCausalWithLeftPaddingKeepsRealRowsEqualAndAllFinite() {
        Shape q = new Shape(2, 2, 6, 8);
        float[] mask = new float[12];
        for (int j = 0; j < 6; j++) {
            mask[j] = 1f;
            mask[6 + j] = j >= 2 ? 1f : 0f; // row 1 left-padded by 2
        }
        List<float[]> d = data(q, q, q);
        d.add(mask);
        // zero the loss weight of padded query rows by multiplying the output by the row mask
        BiFunction<Kernels, NDList, NDArray> f = (k, in) -> k.attention(in.get(0), in.get(1),
                        in.get(2), Kernels.paddingMask(in.get(3)), true, 0, false)
                .mul(in.get(3).reshape(2, 1, 6, 1));
        both(d, List.of(q, q, q, new Shape(2, 8 - 2)), new boolean[] {true, true, true, false}, f);
        // and independently of the TorchScript path: real query i attends only to real keys <= i
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray qa = m.create(d.get(0), q);
            NDArray ka = m.create(d.get(1), q);
            NDArray va = m.create(d.get(2), q);
            NDArray out = ComposedKernels.INSTANCE.attention(qa, ka, va,
                    Kernels.paddingMask(m.create(mask, new Shape(2, 6))), true, 0, false);
            // batch 1, first real query (position 2) sees only key 2: output equals v[1, :, 2]
            float[] got = out.get("1, :, 2, :").toFloatArray();
            float[] want = va.get("1, :, 2, :").toFloatArray();
            assertTrue(maxDiff(got, want) < 1e-6);
            assertTrue(maxDiff(out.toFloatArray(), out.toFloatArray()) == 0); // finite everywhere
        }
    }

    @Test
    void attentionGroupedQuery() {
        Shape q = new Shape(2, 6, 5, 8);
        Shape kv = new Shape(2, 2, 5, 8);
        both(data(q, kv, kv), List.of(q, kv, kv), new boolean[] {true, true, true},
                (k, in) -> k.attention(in.get(0), in.get(1), in.get(2), null, true, 0, false));
    }

    @Test
    void attentionGroupedQueryEqualsExplicitlyRepeatedHeads() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.create(random(2 * 4 * 3 * 4, 1), new Shape(2, 4, 3, 4));
            NDArray k = m.create(random(2 * 2 * 3 * 4, 2), new Shape(2, 2, 3, 4));
            NDArray v = m.create(random(2 * 2 * 3 * 4, 3), new Shape(2, 2, 3, 4));
            NDArray out = TorchScriptKernels.FP32.attention(q, k, v, null, false, 0, false);
            // query heads 2 and 3 read kv head 1
            NDArray head3 = ComposedKernels.INSTANCE.attention(q.get(":, 3:4"), k.get(":, 1:2"),
                    v.get(":, 1:2"), null, false, 0, false);
            assertTrue(maxDiff(out.get(":, 3:4").toFloatArray(), head3.toFloatArray()) < 1e-5);
        }
    }

    @Test
    void attentionDropoutIsOffInEvalAndUnbiasedInTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape s = new Shape(4, 4, 64, 8);
            NDArray q = m.create(random(s.size(), 5), s);
            NDArray k = m.create(random(s.size(), 6), s);
            NDArray v = m.ones(s);
            for (Kernels kernels : List.of(ComposedKernels.INSTANCE, TorchScriptKernels.FP32)) {
                NDArray eval = kernels.attention(q, k, v, null, false, 0.5, false);
                assertTrue(maxDiff(eval.toFloatArray(), m.ones(s).toFloatArray()) < 1e-5,
                        kernels + ": no dropout in eval");
                float[] train = kernels.attention(q, k, v, null, false, 0.5, true).toFloatArray();
                // each output = sum_j keep_j p_j / (1 - 0.5) with v = 1: mean 1, clearly varying
                double mean = 0;
                double var = 0;
                for (float x : train) {
                    mean += x;
                }
                mean /= train.length;
                for (float x : train) {
                    var += (x - mean) * (x - mean);
                }
                var /= train.length;
                assertEquals(1.0, mean, 0.05, kernels + ": inverted dropout keeps the mean");
                assertTrue(var > 0.01, kernels + ": dropout active in training, var " + var);
            }
        }
    }

    @Test
    void rmsNorm() {
        Shape x = new Shape(3, 5, 32);
        Shape w = new Shape(32);
        both(data(x, w), List.of(x, w), new boolean[] {true, true},
                (k, in) -> k.rmsNorm(in.get(0), in.get(1), 1e-6));
    }

    @Test
    void swiglu() {
        Shape x = new Shape(3, 7, 24);
        both(data(x, x), List.of(x, x), new boolean[] {true, true},
                (k, in) -> k.swiglu(in.get(0), in.get(1)));
    }

    @Test
    void gelu() {
        Shape x = new Shape(4, 50);
        both(data(x), List.of(x), new boolean[] {true}, (k, in) -> k.gelu(in.get(0)));
    }

    @Test
    void geluMatchesHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] got = TorchScriptKernels.FP32.gelu(m.create(new float[] {0f, 1f, -1f})).toFloatArray();
            // x * Phi(x): Phi(1) = 0.8413447
            assertTrue(maxDiff(got, new float[] {0f, 0.8413447f, -0.1586553f}) < 1e-6);
        }
    }

    @Test
    void rotary() {
        Shape x = new Shape(2, 3, 5, 8);
        Shape cs = new Shape(2, 1, 5, 8);
        both(data(x, cs, cs), List.of(x, cs, cs), new boolean[] {true, false, false},
                (k, in) -> k.applyRotary(in.get(0), in.get(1), in.get(2)));
    }

    @Test
    void rotaryMatchesHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            // x = [1, 2, 3, 4]: rotate_half = [-3, -4, 1, 2]; cos = 0.5, sin = 2
            NDArray x = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 1, 4));
            NDArray c = m.full(new Shape(1, 1, 1, 4), 0.5f);
            NDArray s = m.full(new Shape(1, 1, 1, 4), 2f);
            float[] want = {0.5f - 6f, 1f - 8f, 1.5f + 2f, 2f + 4f};
            for (Kernels k : List.of(ComposedKernels.INSTANCE, TorchScriptKernels.FP32)) {
                assertTrue(maxDiff(k.applyRotary(x, c, s).toFloatArray(), want) < 1e-6, k.toString());
            }
        }
    }

    @Test
    void groupLogSoftmax() {
        Shape s = new Shape(4, 6);
        float[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0};
        List<float[]> d = data(s);
        d.add(mask);
        both(d, List.of(s, s), new boolean[] {true, false},
                (k, in) -> k.groupLogSoftmax(in.get(0), in.get(1)));
    }

    @Test
    void groupLogSoftmaxMatchesHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(new float[] {0f, 0f, 5f, 1f}, new Shape(1, 4));
            NDArray mask = m.create(new float[] {1f, 1f, 0f, 0f}, new Shape(1, 4));
            float ln2 = (float) Math.log(2);
            float[] want = {-ln2, -ln2, 0f, 0f};
            for (Kernels k : List.of(ComposedKernels.INSTANCE, TorchScriptKernels.FP32)) {
                assertTrue(maxDiff(k.groupLogSoftmax(s, mask).toFloatArray(), want) < 1e-6, k.toString());
            }
        }
    }

    @Test
    void linear() {
        Shape x = new Shape(3, 4, 32);
        Shape w = new Shape(16, 32);
        Shape b = new Shape(16);
        both(data(x, w, b), List.of(x, w, b), new boolean[] {true, true, true},
                (k, in) -> k.linear(in.get(0), in.get(1), in.get(2)));
        both(data(x, w), List.of(x, w), new boolean[] {true, true},
                (k, in) -> k.linear(in.get(0), in.get(1), null));
    }
}
