package dev.winnow.modernbert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.testing.FiniteDifferences;
import dev.winnow.nn.testing.KernelPaths;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiny ModernBERTs against the float64 numpy reference (logits, hidden states, gradients from its central
 * differences), padding invariance and the two kernel paths, finite differences, the sliding window, bf16/fp16.
 */
class ModernBertModelTest {
    static final List<String> VARIANTS = List.of("plain", "biased");

    /** Both kernel paths in float64 (TorchScript inference runs the fused layers) equal the reference within 1e-8. */
    @ParameterizedTest
    @CsvSource({"plain,COMPOSED", "biased,COMPOSED", "plain,TORCHSCRIPT", "biased,TORCHSCRIPT"})
    void logitsEqualTheNumpyReferenceAloneAndInLeftOrRightPaddedBatches(String variant, KernelMode kernels) {
        List<Double> expected = ModernBertFixtures.scores(variant);
        List<Encoded> rows = ModernBertFixtures.rows();
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = ModernBertFixtures.reranker(variant, m, DataType.FLOAT64, kernels);
            double worst = 0;
            for (int i = 0; i < rows.size(); i++) {
                double alone = model.forward(Batches.pad(List.of(rows.get(i)), ModernBertFixtures.PAD, false, m), false).toDoubleArray()[0];
                assertEquals(expected.get(i), alone, 1e-8, variant + " row " + i + " alone");
                worst = Math.max(worst, Math.abs(expected.get(i) - alone));
            }
            for (boolean left : new boolean[] {true, false}) {
                double[] batched = model.forward(Batches.pad(rows, ModernBertFixtures.PAD, left, m), false).toDoubleArray();
                for (int i = 0; i < rows.size(); i++) {
                    assertEquals(expected.get(i), batched[i], 1e-8, variant + " row " + i + " left=" + left);
                    worst = Math.max(worst, Math.abs(expected.get(i) - batched[i]));
                }
            }
            System.out.printf("ModernBERT %s %s vs numpy float64: worst logit difference %.3g%n", variant, kernels, worst);
        }
    }

    /** ModernBertModel's last_hidden_state equals the reference at every real position, and pooling reads it. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "biased"})
    void hiddenStatesAndEmbeddingPoolingEqualTheReference(String variant) {
        List<Encoded> rows = ModernBertFixtures.rows();
        List<double[]> expected = ModernBertFixtures.hidden(variant);
        int h = 16;
        try (NDManager m = NDManager.newBaseManager()) {
            for (String pooling : List.of("cls", "mean")) {
                ModernBertModel model = ModernBertFixtures.model(ModernBertFixtures.config(variant),
                        ModernBertFixtures.weights(variant, m, DataType.FLOAT64), ModernBertFixtures.embedding(pooling, KernelMode.COMPOSED), m);
                TokenBatch batch = Batches.pad(rows, ModernBertFixtures.PAD, true, m);
                NDArray hidden = model.hiddenStates(batch, false);
                double[] pooled = model.forward(batch, false).toDoubleArray();
                long width = batch.inputIds().getShape().get(1);
                for (int r = 0; r < rows.size(); r++) {
                    int n = rows.get(r).ids().length;
                    double[] got = hidden.get(r).get((width - n) + ":").toDoubleArray(); // left padded
                    double[] want = expected.get(r);
                    for (int j = 0; j < want.length; j++) {
                        assertEquals(want[j], got[j], 1e-9, variant + " row " + r + " [" + j + "]");
                    }
                    for (int k = 0; k < h; k++) {
                        double p = 0;
                        if (pooling.equals("cls")) {
                            p = want[k];
                        } else {
                            for (int t = 0; t < n; t++) {
                                p += want[t * h + k] / n;
                            }
                        }
                        assertEquals(p, pooled[r * h + k], 1e-9, pooling + " row " + r);
                    }
                }
            }
        }
    }

    /** Autograd of the summed logits (training-mode forward) against the reference's own central differences. */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "biased"})
    void gradientsEqualCentralDifferencesOfTheNumpyReference(String variant) {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = ModernBertFixtures.reranker(variant, m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, false, m);
            for (var p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(batch, true).sum());
            }
            double worst = 0;
            for (Map<String, Object> probe : ModernBertFixtures.probes(variant)) {
                String name = (String) probe.get("name");
                int index = ((Number) probe.get("index")).intValue();
                double expected = ((Number) probe.get("gradient")).doubleValue();
                double got = model.parameters().get(name).orElseThrow().array().getGradient().toDoubleArray()[index];
                assertEquals(expected, got, 1e-6 + 1e-5 * Math.abs(expected), name + "[" + index + "]");
                worst = Math.max(worst, Math.abs(expected - got) / Math.max(1e-3, Math.abs(expected)));
            }
            System.out.printf("ModernBERT %s gradients vs numpy central differences: worst relative difference %.3g (%d probes)%n",
                    variant, worst, ModernBertFixtures.probes(variant).size());
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void aLeftOrRightPaddedBatchEqualsEachRowAloneOnBothKernelPaths(KernelMode kernels) {
        List<Encoded> rows = ModernBertFixtures.rows();
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : VARIANTS) {
                for (ModelOptions o : List.of(ModernBertFixtures.reranker(kernels, Precision.FP32),
                        ModernBertFixtures.embedding("cls", kernels), ModernBertFixtures.embedding("mean", kernels))) {
                    ModernBertModel model = ModernBertFixtures.model(ModernBertFixtures.config(variant),
                            ModernBertFixtures.weights(variant, m, DataType.FLOAT32), o, m);
                    for (boolean left : new boolean[] {true, false}) {
                        float[] batched = model.forward(Batches.pad(rows, ModernBertFixtures.PAD, left, m), false).toFloatArray();
                        int width = batched.length / rows.size();
                        for (int i = 0; i < rows.size(); i++) {
                            float[] alone = model.forward(Batches.pad(List.of(rows.get(i)), ModernBertFixtures.PAD, left, m), false).toFloatArray();
                            for (int j = 0; j < width; j++) {
                                assertEquals(alone[j], batched[i * width + j], 2e-5, variant + " " + o.task() + " " + o.pooling()
                                        + " " + kernels + " left=" + left + " row " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The TorchScript kernels (fused inference layers, per-op kernels under autograd) equal the composed reference: the
     * output and every parameter's gradient within 1e-5 of that array's largest magnitude (the embedding gradient sums
     * over every token and reaches ~10, so an absolute 1e-5 would ask for float32's last bits).
     */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : VARIANTS) {
                for (boolean left : new boolean[] {true, false}) {
                    Function<NDManager, TokenBatch> batch = s -> Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, left, s);
                    double worst = KernelPaths.assertClose(
                            KernelPaths.outputAndGradients(ModernBertFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED), batch),
                            KernelPaths.outputAndGradients(ModernBertFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.TORCHSCRIPT), batch),
                            1e-5, true);
                    System.out.printf("ModernBERT %s left=%s: TorchScript vs composed, output and every gradient, worst difference %.3g of scale%n",
                            variant, left, worst);
                }
            }
        }
    }

    /** Training-mode forwards on TorchScript (the per-op kernels, not the fused layers) equal the composed ones too. */
    @Test
    void torchScriptTrainingForwardEqualsComposed() {
        try (NDManager m = NDManager.newBaseManager()) {
            TokenBatch batch = Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, true, m);
            float[] composed = ModernBertFixtures.reranker("biased", m, DataType.FLOAT32, KernelMode.COMPOSED).forward(batch, true).toFloatArray();
            float[] ts = ModernBertFixtures.reranker("biased", m, DataType.FLOAT32, KernelMode.TORCHSCRIPT).forward(batch, true).toFloatArray();
            for (int i = 0; i < composed.length; i++) {
                assertEquals(composed[i], ts[i], 1e-5, "row " + i);
            }
        }
    }

    /** Autograd against central finite differences of this model itself, float64, on both kernel paths. */
    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void gradientsMatchFiniteDifferences(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = ModernBertFixtures.reranker("biased", m, DataType.FLOAT64, kernels);
            TokenBatch batch = Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, true, m);
            for (String name : List.of("model.layers.0.attn.Wqkv.weight", "model.layers.1.attn.Wqkv.bias", "model.layers.2.mlp.Wi.weight",
                    "model.layers.3.attn_norm.weight", "model.embeddings.norm.bias", "head.dense.weight", "classifier.weight")) {
                NDArray p = model.parameters().get(name).orElseThrow().array();
                FiniteDifferences.check(name, p, () -> model.forward(batch, false).sum(), FiniteDifferences.spread(p));
            }
        }
    }

    /**
     * The window really limits attention: a local layer's output at position i does not change when the input at a
     * position beyond |i - j| <= local_attention / 2 (4 here) changes, and does at the window's edge; a global layer's
     * output changes at every position.
     */
    @Test
    void aTokenBeyondTheWindowDoesNotChangeALocalLayersOutput() {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = ModernBertFixtures.reranker("plain", m, DataType.FLOAT64, KernelMode.COMPOSED);
            ModernBertConfig c = model.config();
            int length = 20;
            int j = 15;
            NDArray mask = m.ones(new Shape(1, length), DataType.INT64);
            ModernBertModel.Masks masks = model.masks(mask, DataType.FLOAT64);
            NDArray x = m.create(Ops.normal(length * 16L, 1.0, 3), new Shape(1, length, 16)).toType(DataType.FLOAT64, false);
            double[] bump = new double[length * 16];
            for (int k = 0; k < 16; k++) {
                bump[j * 16 + k] = 0.5 + k * 0.1;
            }
            NDArray moved = x.add(m.create(bump, new Shape(1, length, 16)));
            for (int layer : new int[] {1, 2, 0, 3}) {
                boolean global = c.global(layer);
                assertEquals(layer == 0 || layer == 3, global);
                ModernBertModel.Rotary r = model.rotary(masks.positions(), c.ropeTheta(layer), DataType.FLOAT64);
                NDArray mk = global ? masks.global() : masks.local();
                NDArray a = model.layer(layer, x, mk, r, 1, length, false);
                NDArray b = model.layer(layer, moved, mk, r, 1, length, false);
                for (int i = 0; i < length; i++) {
                    double d = a.get(0, i).sub(b.get(0, i)).abs().max().getDouble();
                    boolean visible = global || Math.abs(i - j) <= c.halfWindow();
                    if (visible) {
                        assertTrue(d > 1e-6, "layer " + layer + ": position " + i + " sees position " + j + " (difference " + d + ")");
                    } else {
                        assertEquals(0.0, d, 0.0, "layer " + layer + ": position " + i + " is outside the window of " + j);
                    }
                }
            }
            assertEquals(10000.0, c.ropeTheta(1));
            assertEquals(160000.0, c.ropeTheta(0));
        }
    }

    /**
     * bf16 and fp16 compute (products and attention in the kernels, the rest fp32): the logits stay within a
     * scale-relative 5e-2 (bf16: 8 significant bits, over 4 layers and the head; BERT's 2 layers stay within 3e-2) and
     * 1e-2 (fp16, 11 bits) of fp32, and differ from it.
     */
    @Test
    void reducedPrecisionForwardStaysNearFp32() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : VARIANTS) {
                TokenBatch batch = Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, false, m);
                float[] fp32 = ModernBertFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED).forward(batch, false).toFloatArray();
                for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                    ModernBertModel low = ModernBertFixtures.model(ModernBertFixtures.config(variant),
                            ModernBertFixtures.weights(variant, m, DataType.FLOAT32), ModernBertFixtures.reranker(KernelMode.TORCHSCRIPT, p), m);
                    for (boolean training : new boolean[] {false, true}) {
                        float[] out = low.forward(batch, training).toFloatArray();
                        double scale = 0;
                        double diff = 0;
                        for (int i = 0; i < fp32.length; i++) {
                            scale = Math.max(scale, Math.abs(fp32[i]));
                            diff = Math.max(diff, Math.abs(fp32[i] - out[i]));
                        }
                        double tolerance = p == Precision.BF16 ? 5e-2 : 1e-2;
                        System.out.printf("ModernBERT %s %s (%s) vs fp32: scale-relative difference %.3g%n", variant, p,
                                training ? "per-op kernels" : "fused layers", diff / scale);
                        assertTrue(diff / scale <= tolerance, variant + " " + p + ": " + diff / scale);
                        assertTrue(diff > 0, p + " must actually compute in reduced precision");
                    }
                }
            }
        }
    }

    /** A few training steps in fp32, bf16 and fp16 (fp16 with loss scaling) bring a tiny reranker's loss well down. */
    @Test
    void reducedPrecisionTrainingReducesTheLoss(@TempDir Path dir) {
        for (Precision p : List.of(Precision.FP32, Precision.BF16, Precision.FP16)) {
            try (NDManager m = NDManager.newBaseManager()) {
                ModernBertModel model = ModernBertFixtures.model(ModernBertFixtures.config("plain"),
                        ModernBertFixtures.weights("plain", m, DataType.FLOAT32), ModernBertFixtures.reranker(KernelMode.TORCHSCRIPT, p), m);
                Path run = dir.resolve(p.name());
                long total = 25;
                var options = new dev.winnow.core.train.TrainOptions(total, 1, 1.0,
                        new dev.winnow.core.train.LrSchedule(dev.winnow.core.train.LrSchedule.Kind.CONSTANT, 3e-3, 0, total, 0),
                        new dev.winnow.core.train.AdamW.Options(0.0, 0.9, 0.999, 1e-8), 0, 0, 1, 5, "none", true, 1, run,
                        p == Precision.FP16 ? dev.winnow.core.train.LossScaler.Options.defaults() : null);
                var loop = new dev.winnow.core.train.TrainLoop<Integer>(options,
                        new dev.winnow.core.train.Progress(new java.io.PrintStream(new java.io.ByteArrayOutputStream()), false, total, 0));
                float[] labels = {1, 0, 1, 0};
                var result = loop.run(model.parameters(), epoch -> List.of(0, 1, 2, 3), (b, scope) -> {
                    NDArray logits = model.forward(Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, false, scope), true);
                    NDArray y = scope.create(labels);
                    NDArray loss = logits.exp().add(1f).log().sub(logits.mul(y)).mean(); // BCE with logits
                    return new dev.winnow.core.train.TrainLoop.StepLoss(loss, 4, 40);
                }, Map::of, false);
                List<Double> losses = result.losses();
                System.out.printf("ModernBERT training %s: loss %.4f -> %.4f%n", p, losses.get(0), losses.get(losses.size() - 1));
                assertTrue(losses.get(losses.size() - 1) < 0.5 * losses.get(0), p + ": " + losses);
            }
        }
    }
}
