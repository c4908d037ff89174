package dev.winnow.deberta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.text.Batches;
import dev.winnow.deberta.DebertaOptions.Head;
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
 * The tiny DeBERTas against the float64 numpy reference (ContextPooler and mean-pooling logits, hidden states,
 * gradients from its central differences, the bucketed relative positions), padding invariance on both kernel paths,
 * TorchScript against composed, finite differences, reduced precision.
 */
class DebertaModelTest {
    /** Both kernel paths in float64 equal the reference within 1e-8, each row alone and in left/right padded batches. */
    @ParameterizedTest
    @CsvSource({"v3,COMPOSED,CONTEXT_POOLER", "v2,COMPOSED,CONTEXT_POOLER", "v3,TORCHSCRIPT,CONTEXT_POOLER",
            "v2,TORCHSCRIPT,CONTEXT_POOLER", "v3,COMPOSED,MEAN", "v2,COMPOSED,MEAN", "v3,TORCHSCRIPT,MEAN", "v2,TORCHSCRIPT,MEAN"})
    void logitsEqualTheNumpyReferenceAloneAndInLeftOrRightPaddedBatches(String variant, KernelMode kernels, Head head) {
        List<Double> expected = DebertaFixtures.doubles(variant, head == Head.MEAN ? "mean_scores" : "scores");
        List<Encoded> rows = DebertaFixtures.rows();
        try (NDManager m = NDManager.newBaseManager()) {
            DebertaModel model = DebertaFixtures.reranker(variant, m, DataType.FLOAT64, kernels, head);
            assertEquals(head, model.head());
            double worst = 0;
            for (int i = 0; i < rows.size(); i++) {
                double alone = model.forward(Batches.pad(List.of(rows.get(i)), DebertaFixtures.PAD, false, m), false).toDoubleArray()[0];
                assertEquals(expected.get(i), alone, 1e-8, variant + " row " + i + " alone");
                worst = Math.max(worst, Math.abs(expected.get(i) - alone));
            }
            for (boolean left : new boolean[] {true, false}) {
                double[] batched = model.forward(Batches.pad(rows, DebertaFixtures.PAD, left, m), false).toDoubleArray();
                for (int i = 0; i < rows.size(); i++) {
                    assertEquals(expected.get(i), batched[i], 1e-8, variant + " row " + i + " left=" + left);
                    worst = Math.max(worst, Math.abs(expected.get(i) - batched[i]));
                }
            }
            System.out.printf("DeBERTa %s %s %s vs numpy float64: worst logit difference %.3g%n", variant, head.id(), kernels, worst);
        }
    }

    /** DebertaV2Model's last_hidden_state equals the reference at every real position of a left-padded batch. */
    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void hiddenStatesEqualTheReference(String variant) {
        List<Encoded> rows = DebertaFixtures.rows();
        List<double[]> expected = DebertaFixtures.hidden(variant);
        try (NDManager m = NDManager.newBaseManager()) {
            DebertaModel model = DebertaFixtures.reranker(variant, m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows, DebertaFixtures.PAD, true, m);
            NDArray hidden = model.hiddenStates(batch, false);
            long width = batch.inputIds().getShape().get(1);
            for (int r = 0; r < rows.size(); r++) {
                int n = rows.get(r).ids().length;
                double[] got = hidden.get(r).get((width - n) + ":").toDoubleArray();
                double[] want = expected.get(r);
                assertEquals(want.length, got.length);
                for (int j = 0; j < want.length; j++) {
                    assertEquals(want[j], got[j], 1e-9, variant + " row " + r + " [" + j + "]");
                }
            }
        }
    }

    /** make_log_bucket_position (float32, as torch) and the clamp, against the reference's table for 20 tokens. */
    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void relativePositionsEqualTheReferenceBuckets(String variant) {
        DebertaConfig c = DebertaConfig.parse(DebertaFixtures.config(variant), Path.of("config.json"));
        List<Double> expected = DebertaFixtures.doubles(variant, "relative_positions_row0");
        for (int j = 0; j < expected.size(); j++) {
            assertEquals(expected.get(j).longValue(), c.relativePosition(-j), variant + " key " + j);
            assertEquals(-expected.get(j).longValue(), c.relativePosition(j), "odd symmetry at " + j);
        }
        // deberta-v3-base: 256 buckets over 512 positions; exact within +-128, log-spaced beyond, 255 at the far end
        DebertaConfig base = DebertaConfig.parse(DebertaPlugin.KNOWN.get("microsoft/deberta-v3-base"), Path.of("config.json"));
        assertEquals(256, base.attentionSpan());
        assertEquals(128, base.relativePosition(128));
        assertEquals(-100, base.relativePosition(-100));
        assertEquals(129, base.relativePosition(129));
        assertEquals(255, base.relativePosition(511));
        assertEquals(-207, base.relativePosition(-300));
    }

    /** Autograd of the summed logits (training-mode forward) against the reference's own central differences. */
    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void gradientsEqualCentralDifferencesOfTheNumpyReference(String variant) {
        try (NDManager m = NDManager.newBaseManager()) {
            DebertaModel model = DebertaFixtures.reranker(variant, m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, false, m);
            for (var p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(batch, true).sum());
            }
            double worst = 0;
            for (Map<String, Object> probe : DebertaFixtures.probes(variant)) {
                String name = (String) probe.get("name");
                int index = ((Number) probe.get("index")).intValue();
                double expected = ((Number) probe.get("gradient")).doubleValue();
                double got = model.parameters().get(name).orElseThrow().array().getGradient().toDoubleArray()[index];
                assertEquals(expected, got, 1e-6 + 1e-5 * Math.abs(expected), name + "[" + index + "]");
                worst = Math.max(worst, Math.abs(expected - got) / Math.max(1e-3, Math.abs(expected)));
            }
            System.out.printf("DeBERTa %s gradients vs numpy central differences: worst relative difference %.3g (%d probes)%n",
                    variant, worst, DebertaFixtures.probes(variant).size());
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void aLeftOrRightPaddedBatchEqualsEachRowAloneOnBothKernelPaths(KernelMode kernels) {
        List<Encoded> rows = DebertaFixtures.rows();
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : DebertaFixtures.VARIANTS) {
                for (Head head : Head.values()) {
                    DebertaModel model = DebertaFixtures.reranker(variant, m, DataType.FLOAT32, kernels, head);
                    for (boolean left : new boolean[] {true, false}) {
                        float[] batched = model.forward(Batches.pad(rows, DebertaFixtures.PAD, left, m), false).toFloatArray();
                        for (int i = 0; i < rows.size(); i++) {
                            float alone = model.forward(Batches.pad(List.of(rows.get(i)), DebertaFixtures.PAD, left, m), false).toFloatArray()[0];
                            assertEquals(alone, batched[i], 2e-5, variant + " " + head + " " + kernels + " left=" + left + " row " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * The TorchScript kernels (attention through SDPA with the relative terms as its mask, linears, gelu) equal the
     * composed reference: the output and every parameter's gradient within 1e-5 of that array's largest magnitude.
     */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : DebertaFixtures.VARIANTS) {
                for (boolean left : new boolean[] {true, false}) {
                    Function<NDManager, TokenBatch> batch = s -> Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, left, s);
                    Map<String, float[]> composed = KernelPaths.outputAndGradients(
                            DebertaFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED), batch);
                    Map<String, float[]> ts = KernelPaths.outputAndGradients(
                            DebertaFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.TORCHSCRIPT), batch);
                    // pos_key_proj's bias adds q_i . b to every c2p score of query i: softmax cancels it, so its gradient is 0
                    // in exact arithmetic and float32 rounding noise on both paths (checked to be negligible, then left out)
                    double largest = 0;
                    for (float[] g : composed.values()) {
                        for (float v : g) {
                            largest = Math.max(largest, Math.abs(v));
                        }
                    }
                    for (String name : List.copyOf(composed.keySet())) {
                        if (name.endsWith("pos_key_proj.bias")) {
                            for (Map<String, float[]> path : List.of(composed, ts)) {
                                for (float v : path.remove(name)) {
                                    assertTrue(Math.abs(v) < 1e-5 * largest, name + " gradient " + v + " should vanish");
                                }
                            }
                        }
                    }
                    double worst = KernelPaths.assertClose(composed, ts, 1e-5, true);
                    System.out.printf("DeBERTa %s left=%s: TorchScript vs composed, output and every gradient, worst difference %.3g of scale%n",
                            variant, left, worst);
                }
            }
        }
    }

    /** Autograd against central finite differences of this model itself, float64, on both kernel paths, heads and variants. */
    @ParameterizedTest
    @CsvSource({"v3,COMPOSED,CONTEXT_POOLER", "v2,TORCHSCRIPT,CONTEXT_POOLER", "v3,TORCHSCRIPT,MEAN"})
    void gradientsMatchFiniteDifferences(String variant, KernelMode kernels, Head head) {
        try (NDManager m = NDManager.newBaseManager()) {
            {
                DebertaModel model = DebertaFixtures.reranker(variant, m, DataType.FLOAT64, kernels, head);
                TokenBatch batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, true, m);
                List<String> names = new java.util.ArrayList<>(List.of("deberta.encoder.layer.0.attention.self.query_proj.weight",
                        "deberta.encoder.layer.1.attention.self.key_proj.bias", "deberta.encoder.rel_embeddings.weight",
                        "classifier.weight"));
                names.add(variant.equals("v3") ? "deberta.encoder.LayerNorm.weight" : "deberta.encoder.layer.1.attention.self.pos_query_proj.weight");
                if (head == Head.CONTEXT_POOLER) {
                    names.add("pooler.dense.weight");
                }
                for (String name : names) {
                    NDArray p = model.parameters().get(name).orElseThrow().array();
                    FiniteDifferences.check(name, p, () -> model.forward(batch, false).sum(), FiniteDifferences.spread(p));
                }
            }
        }
    }

    /**
     * bf16 and fp16 compute (products and attention in the kernels, the rest fp32): the logits stay within a
     * scale-relative 5e-2 (bf16) and 1e-2 (fp16) of fp32, and differ from it.
     */
    @Test
    void reducedPrecisionForwardStaysNearFp32() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : DebertaFixtures.VARIANTS) {
                TokenBatch batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, false, m);
                float[] fp32 = DebertaFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED).forward(batch, false).toFloatArray();
                for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                    DebertaModel low = DebertaFixtures.model(DebertaFixtures.config(variant),
                            DebertaFixtures.weights(variant, m, DataType.FLOAT32), DebertaFixtures.reranker(KernelMode.TORCHSCRIPT, p, null), m);
                    float[] out = low.forward(batch, false).toFloatArray();
                    double scale = 0;
                    double diff = 0;
                    for (int i = 0; i < fp32.length; i++) {
                        scale = Math.max(scale, Math.abs(fp32[i]));
                        diff = Math.max(diff, Math.abs(fp32[i] - out[i]));
                    }
                    double tolerance = p == Precision.BF16 ? 5e-2 : 1e-2;
                    System.out.printf("DeBERTa %s %s vs fp32: scale-relative difference %.3g%n", variant, p, diff / scale);
                    assertTrue(diff / scale <= tolerance, variant + " " + p + ": " + diff / scale);
                    assertTrue(diff > 0, p + " must actually compute in reduced precision");
                }
            }
        }
    }

    /** A few training steps bring a tiny reranker's BCE loss well down: fp32 with the ContextPooler, bf16 with mean pooling. */
    @Test
    void trainingReducesTheLoss(@TempDir Path dir) {
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            {
                Head head = p == Precision.FP32 ? Head.CONTEXT_POOLER : Head.MEAN;
                try (NDManager m = NDManager.newBaseManager()) {
                    DebertaModel model = DebertaFixtures.model(DebertaFixtures.config("v3"), DebertaFixtures.weights("v3", m, DataType.FLOAT32),
                            DebertaFixtures.reranker(KernelMode.TORCHSCRIPT, p, head), m);
                    Path run = dir.resolve(p.name() + head.id());
                    long total = 20;
                    var options = new dev.winnow.core.train.TrainOptions(total, 1, 1.0,
                            new dev.winnow.core.train.LrSchedule(dev.winnow.core.train.LrSchedule.Kind.CONSTANT, 3e-3, 0, total, 0),
                            new dev.winnow.core.train.AdamW.Options(0.0, 0.9, 0.999, 1e-8), 0, 0, 1, 5, "none", true, 1, run, null);
                    var loop = new dev.winnow.core.train.TrainLoop<Integer>(options,
                            new dev.winnow.core.train.Progress(new java.io.PrintStream(new java.io.ByteArrayOutputStream()), false, total, 0));
                    float[] labels = {1, 0, 1, 0};
                    var result = loop.run(model.parameters(), epoch -> List.of(0, 1, 2, 3), (b, scope) -> {
                        NDArray logits = model.forward(Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, false, scope), true);
                        NDArray y = scope.create(labels);
                        NDArray loss = logits.exp().add(1f).log().sub(logits.mul(y)).mean(); // BCE with logits
                        return new dev.winnow.core.train.TrainLoop.StepLoss(loss, 4, 40);
                    }, Map::of, false);
                    List<Double> losses = result.losses();
                    System.out.printf("DeBERTa training %s %s: loss %.4f -> %.4f%n", p, head.id(), losses.get(0), losses.get(losses.size() - 1));
                    assertTrue(losses.get(losses.size() - 1) < 0.5 * losses.get(0), p + " " + head + ": " + losses);
                }
            }
        }
    }
}
