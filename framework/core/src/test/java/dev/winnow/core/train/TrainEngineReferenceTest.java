package dev.winnow.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.nn.engine.WinnowEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine against independent references: a double-precision torch AdamW, the HF cosine formula, accumulation. */
class TrainEngineReferenceTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** torch.optim.AdamW, one scalar, written out in doubles. */
    static final class RefAdamW {
        double p;
        double m;
        double v;
        int t;

        RefAdamW(double p) {
            this.p = p;
        }

        void step(double g, double lr, double wd, double b1, double b2, double eps) {
            t++;
            p *= 1 - lr * wd;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double mhat = m / (1 - Math.pow(b1, t));
            double vhat = v / (1 - Math.pow(b2, t));
            p -= lr * mhat / (Math.sqrt(vhat) + eps);
        }
    }

    /** Gradients that change every step, so beta2's bias correction and the moment history matter. */
    @Test
    void adamWFollowsTorchOverStepsWithChangingGradients() {
        double[][] c = {{0.5, -1.0}, {2.0, 0.3}, {-1.0, 0.1}, {0.25, -4.0}};
        double[] gb = {2.0, -1.0, 3.0, 0.5};
        double[] lrs = {0.1, 0.05, 0.2, 0.01};
        double wd = 0.1;
        double b1 = 0.8;
        double b2 = 0.95;
        double eps = 1e-3; // large enough that a misplaced eps (inside the sqrt, or before bias correction) shows
        RefAdamW[] ref = {new RefAdamW(1.0), new RefAdamW(-2.0)};
        RefAdamW refBias = new RefAdamW(1.0);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1.0f, -2.0f});
            NDArray b = m.create(new float[] {1.0f});
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            AdamW opt = new AdamW(List.of(new Parameter("dense.weight", w, true), new Parameter("dense.bias", b, true, false)),
                    new AdamW.Options(wd, b1, b2, eps), m);
            for (int s = 0; s < c.length; s++) {
                NDArray cs = m.create(new float[] {(float) c[s][0], (float) c[s][1]});
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(w.mul(cs).sum().add(b.mul((float) gb[s]).sum()));
                }
                opt.step(lrs[s]);
                opt.zeroGrad();
                for (int i = 0; i < 2; i++) {
                    ref[i].step(c[s][i], lrs[s], wd, b1, b2, eps);
                }
                refBias.step(gb[s], lrs[s], 0.0, b1, b2, eps); // no decay on the bias
                assertArrayEquals(new float[] {(float) ref[0].p, (float) ref[1].p}, w.toFloatArray(), 2e-6f, "step " + (s + 1));
                assertEquals((float) refBias.p, b.getFloat(0), 2e-6f, "bias, step " + (s + 1));
            }
            // the exported moments are torch's exp_avg / exp_avg_sq
            assertEquals(ref[1].m, opt.state().get("exp_avg.dense.weight").getFloat(1), 1e-6);
            assertEquals(ref[1].v, opt.state().get("exp_avg_sq.dense.weight").getFloat(1), 1e-5);
        }
    }

    /** get_cosine_schedule_with_warmup and get_linear_schedule_with_warmup at arbitrary steps. */
    @Test
    void cosineAndLinearWithWarmupMatchTransformersAtOddSteps() {
        long warm = 7;
        long total = 53;
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 3e-5, warm, total, 0);
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 3e-5, warm, total, 0);
        for (long s : new long[] {0, 1, 6, 7, 8, 19, 30, 52, 53, 60}) {
            double hfCos;
            double hfLin;
            if (s < warm) {
                hfCos = hfLin = (double) s / warm;
            } else {
                double progress = (double) (s - warm) / (total - warm);
                hfCos = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
                hfLin = Math.max(0, (double) (total - s) / (total - warm));
            }
            assertEquals(3e-5 * hfCos, cos.at(s), 1e-15, "cosine at " + s);
            assertEquals(3e-5 * hfLin, lin.at(s), 1e-15, "linear at " + s);
        }
    }

    /** A mean loss over 2 micro-batches of 4 rows, accumulated, trains exactly like 1 batch of the same 8 rows. */
    @Test
    void accumulatingTwoHalfBatchesEqualsOneFullBatch(@TempDir Path dir) {
        Random r = new Random(11);
        float[] xs = new float[32 * 3];
        float[] ys = new float[32];
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 3; j++) {
                xs[i * 3 + j] = (float) r.nextGaussian();
            }
            ys[i] = xs[i * 3] - 2 * xs[i * 3 + 1] + 0.5f * xs[i * 3 + 2] + 0.3f;
        }
        int[][] full = new int[4][];
        for (int k = 0; k < 4; k++) {
            full[k] = new int[8];
            for (int i = 0; i < 8; i++) {
                full[k][i] = (k * 8 + i * 5) % 32; // a fixed, non-contiguous selection
            }
        }
        List<int[]> halves = new ArrayList<>();
        for (int[] f : full) {
            halves.add(Arrays.copyOfRange(f, 0, 4));
            halves.add(Arrays.copyOfRange(f, 4, 8));
        }
        TrainRun a = trainLinear(dir.resolve("accumulated"), xs, ys, 2, e -> halves);
        TrainRun b = trainLinear(dir.resolve("full"), xs, ys, 1, e -> List.of(full));
        assertEquals(a.losses.size(), b.losses.size());
        for (int i = 0; i < a.losses.size(); i++) {
            assertEquals(b.losses.get(i), a.losses.get(i), 1e-6, "loss at step " + (i + 1));
        }
        assertArrayEquals(b.weights, a.weights, 1e-6f);
    }

    record TrainRun(List<Double> losses, float[] weights) {}

    private static TrainRun trainLinear(Path runDir, float[] xs, float[] ys, int accumulation, TrainLoop.EpochPlan<int[]> plan) {
        try (NDManager m = NDManager.newBaseManager()) {
            ParameterSet params = new ParameterSet();
            params.add(new Parameter("dense.weight", m.create(new float[] {0.1f, -0.2f, 0.05f}, new Shape(3, 1)), true));
            params.add(new Parameter("dense.bias", m.zeros(new Shape(1)), true, false));
            NDArray x = m.create(xs, new Shape(32, 3));
            NDArray y = m.create(ys, new Shape(32, 1));
            long total = 6;
            TrainOptions options = new TrainOptions(total, accumulation, 0, new LrSchedule(LrSchedule.Kind.LINEAR, 0.05, 1, total, 0),
                    // a large eps makes the update depend on the gradient's scale, so a wrong 1/accumulation shows
                    new AdamW.Options(0.01, 0.9, 0.999, 0.5), 0, 0, 1, 1, "score", true, 3, runDir);
            TrainLoop<int[]> loop = new TrainLoop<>(options, new Progress(new PrintStream(new ByteArrayOutputStream()), false, total, 0));
            TrainLoop.Result res = loop.run(params, plan, (rows, scope) -> {
                NDArray idx = scope.create(Arrays.stream(rows).asLongStream().toArray());
                NDArray pred = x.get(idx).matMul(params.get("dense.weight").get().array()).add(params.get("dense.bias").get().array());
                return new TrainLoop.StepLoss(pred.sub(y.get(idx)).square().mean(), rows.length, rows.length);
            }, () -> Map.of("score", 0.0), false);
            float[] w = params.get("dense.weight").get().array().toFloatArray();
            float[] out = Arrays.copyOf(w, 4);
            out[3] = params.get("dense.bias").get().array().getFloat(0);
            return new TrainRun(res.losses(), out);
        }
    }
}
