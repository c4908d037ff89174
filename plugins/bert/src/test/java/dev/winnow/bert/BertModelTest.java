package dev.winnow.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.testing.KernelPaths;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertModelTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static final List<String> TEXTS = List.of("short", "a somewhat longer sentence about reranking models",
            "the longest of the three inputs, padded the least, with many more tokens than the others");

    /** Each input alone equals the same input inside a padded batch, for scores and for every pooling. */
    @Test
    void paddingInvarianceOnTheRealModel() {
        BertFixtures.Imported model = BertFixtures.imported("all-minilm-l6-v2");
        try (NDManager m = NDManager.newBaseManager(); HfTokenizer tok = HfTokenizer.load(model.dir())) {
            List<Encoded> pairs = new ArrayList<>();
            for (String t : TEXTS) {
                pairs.add(tok.encodePair("what is this about", t, 128, dev.winnow.api.text.Truncation.ONLY_SECOND));
            }
            List<ModelOptions> all = new ArrayList<>();
            for (KernelMode kernels : List.of(KernelMode.COMPOSED, KernelMode.TORCHSCRIPT)) {
                for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("cls"), BertFixtures.embedding("mean"),
                        BertFixtures.embedding("last"))) {
                    all.add(BertFixtures.on(o, kernels, Precision.FP32));
                }
            }
            for (ModelOptions options : all) {
                BertModel bert = BertFixtures.load(model.dir(), options, m);
                for (boolean left : new boolean[] {false, true}) {
                    float[] batched = bert.forward(Batches.pad(pairs, tok.padId(), left, m), false).toFloatArray();
                    int width = batched.length / pairs.size();
                    for (int i = 0; i < pairs.size(); i++) {
                        float[] alone = bert.forward(Batches.pad(List.of(pairs.get(i)), tok.padId(), left, m), false).toFloatArray();
                        for (int j = 0; j < width; j++) {
                            assertEquals(alone[j], batched[i * width + j], 2e-5, options.task() + " " + options.pooling() + " left=" + left
                                    + " " + options.kernels());
                        }
                    }
                }
            }
        }
    }

    static TokenBatch tinyBatch(NDManager m) {
        return Batches.pad(List.of(new Encoded(new long[] {2, 5, 9, 3, 7, 12, 4}, new long[] {0, 0, 0, 1, 1, 1, 1}, false),
                new Encoded(new long[] {2, 11, 3}, new long[] {0, 0, 1}, false),
                new Encoded(new long[] {2, 30, 31, 8, 3}, new long[] {0, 0, 0, 0, 1}, false)), 0, false, m);
    }

    static BertModel tiny(String type, ModelOptions options, NDManager m) {
        Map<String, Object> json = BertFixtures.tinyConfig(type);
        BertConfig c = BertConfig.parse(json, Path.of("config.json"));
        return new BertModel(c, json, BertFixtures.tinyWeights(c, options.task(), m, DataType.FLOAT32, 11), options, m, Path.of("tiny"));
    }

    /**
     * The whole model on the TorchScript kernels (attention, GELU, every linear) equals the composed reference in
     * fp32: the output and the gradient of every parameter within 1e-5, for BERT and XLM-R, head and pooling.
     */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String type : List.of("bert", "xlm-roberta")) {
                for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("mean"))) {
                    BertModel composed = tiny(type, BertFixtures.on(o, KernelMode.COMPOSED, Precision.FP32), m);
                    BertModel torchscript = tiny(type, BertFixtures.on(o, KernelMode.TORCHSCRIPT, Precision.FP32), m);
                    double worst = KernelPaths.assertClose(KernelPaths.outputAndGradients(composed, BertModelTest::tinyBatch),
                            KernelPaths.outputAndGradients(torchscript, BertModelTest::tinyBatch), 1e-5, false);
                    System.out.printf("BERT %s %s: TorchScript vs composed, worst difference %.3g%n", type, o.task().id(), worst);
                }
            }
        }
    }

    /**
     * Inference on the TorchScript kernels runs each encoder layer as one fused module call; its output equals the
     * composed reference within 1e-5 of scale in fp32 (tiny BERT and XLM-R, head and pooling, and the real MiniLM),
     * and the fused module is loaded once per distinct layer shape and precision.
     */
    @Test
    void fusedInferenceLayersEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String type : List.of("bert", "xlm-roberta")) {
                for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("mean"))) {
                    float[] composed = tiny(type, BertFixtures.on(o, KernelMode.COMPOSED, Precision.FP32), m).forward(tinyBatch(m), false).toFloatArray();
                    float[] fused = tiny(type, BertFixtures.on(o, KernelMode.TORCHSCRIPT, Precision.FP32), m).forward(tinyBatch(m), false).toFloatArray();
                    assertScaleClose(composed, fused, 1e-5, type + " " + o.task().id());
                }
            }
            BertFixtures.Imported model = BertFixtures.imported("all-minilm-l6-v2");
            try (HfTokenizer tok = HfTokenizer.load(model.dir())) {
                List<Encoded> pairs = new ArrayList<>();
                for (String t : TEXTS) {
                    pairs.add(tok.encodePair("what is this about", t, 128, dev.winnow.api.text.Truncation.ONLY_SECOND));
                }
                TokenBatch batch = Batches.pad(pairs, tok.padId(), false, m);
                BertModel composed = BertFixtures.load(model.dir(), BertFixtures.on(BertFixtures.embedding("mean"), KernelMode.COMPOSED, Precision.FP32), m);
                BertModel fused = BertFixtures.load(model.dir(), BertFixtures.on(BertFixtures.embedding("mean"), KernelMode.TORCHSCRIPT, Precision.FP32), m);
                assertScaleClose(composed.hiddenStates(batch, false).toFloatArray(), fused.hiddenStates(batch, false).toFloatArray(), 1e-5,
                        "all-MiniLM-L6-v2 hidden states");
            }
        }
    }

    private static void assertScaleClose(float[] reference, float[] got, double tolerance, String what) {
        assertEquals(reference.length, got.length, what);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < reference.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            diff = Math.max(diff, Math.abs(reference[i] - got[i]));
        }
        System.out.printf("BERT %s: fused vs composed, scale-relative difference %.3g%n", what, diff / scale);
        assertTrue(diff <= tolerance * Math.max(scale, 1.0), what + ": max difference " + diff + " at scale " + scale);
    }

    /**
     * bf16 and fp16 compute (matrix products and attention in the kernels, everything else fp32): the forward of the
     * tiny reranker and embedder stays within a scale-relative tolerance of fp32, 3e-2 for bf16 (8 significant bits,
     * errors growing with the √K of each product and over 2 layers) and 1e-2 for fp16 (11 bits).
     */
    @Test
    void reducedPrecisionForwardStaysNearFp32() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("mean"))) {
                float[] fp32 = tiny("bert", o, m).forward(tinyBatch(m), false).toFloatArray();
                for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                    float[] low = tiny("bert", BertFixtures.on(o, KernelMode.TORCHSCRIPT, p), m).forward(tinyBatch(m), false).toFloatArray();
                    double scale = 0;
                    double diff = 0;
                    for (int i = 0; i < fp32.length; i++) {
                        scale = Math.max(scale, Math.abs(fp32[i]));
                        diff = Math.max(diff, Math.abs(fp32[i] - low[i]));
                    }
                    double tolerance = p == Precision.BF16 ? 3e-2 : 1e-2;
                    System.out.printf("BERT %s %s vs fp32: scale-relative difference %.3g%n", o.task().id(), p, diff / scale);
                    assertTrue(diff / scale <= tolerance, o.task() + " " + p + ": " + diff / scale);
                    assertTrue(diff > 0, p + " must actually compute in reduced precision");
                }
            }
        }
    }

    /**
     * A few training steps in bf16 and fp16 (fp32 master weights and AdamW state; fp16 with dynamic loss scaling)
     * bring the loss of a tiny reranker on a fixed batch well down, as fp32 does.
     */
    @Test
    void reducedPrecisionTrainingReducesTheLoss(@TempDir Path dir) throws Exception {
        for (Precision p : List.of(Precision.FP32, Precision.BF16, Precision.FP16)) {
            try (NDManager m = NDManager.newBaseManager()) {
                BertModel model = tiny("bert", BertFixtures.on(BertFixtures.reranker(), KernelMode.TORCHSCRIPT, p), m);
                Path run = dir.resolve(p.name());
                long total = 25;
                var options = new dev.winnow.core.train.TrainOptions(total, 1, 1.0,
                        new dev.winnow.core.train.LrSchedule(dev.winnow.core.train.LrSchedule.Kind.CONSTANT, 3e-3, 0, total, 0),
                        new dev.winnow.core.train.AdamW.Options(0.0, 0.9, 0.999, 1e-8), 0, 0, 1, 5, "none", true, 1, run,
                        p == Precision.FP16 ? dev.winnow.core.train.LossScaler.Options.defaults() : null);
                var loop = new dev.winnow.core.train.TrainLoop<Integer>(options,
                        new dev.winnow.core.train.Progress(new java.io.PrintStream(new java.io.ByteArrayOutputStream()), false, total, 0));
                float[] labels = {1, 0, 1};
                var result = loop.run(model.parameters(), epoch -> List.of(0, 1, 2, 3), (batch, scope) -> {
                    NDArray logits = model.forward(tinyBatch(scope), true);
                    NDArray y = scope.create(labels);
                    // binary cross-entropy with logits, in fp32: softplus(x) - y x
                    NDArray loss = logits.exp().add(1f).log().sub(logits.mul(y)).mean();
                    return new dev.winnow.core.train.TrainLoop.StepLoss(loss, 3, 15);
                }, Map::of, false);
                List<Double> losses = result.losses();
                System.out.printf("BERT training %s: loss %.4f -> %.4f%n", p, losses.get(0), losses.get(losses.size() - 1));
                assertTrue(losses.get(losses.size() - 1) < 0.5 * losses.get(0), p + ": " + losses);
                String metrics = java.nio.file.Files.readString(run.resolve("metrics.jsonl"));
                assertTrue(metrics.contains("\"skipped_steps\""), metrics);
                assertEquals(p == Precision.FP16, metrics.contains("\"loss_scale\""), metrics);
            }
        }
    }

    @Test
    void aClassifierOnAnEmbeddingCheckpointIsInitialisedAndExportedUnderTransformersNames() {
        BertFixtures.Imported model = BertFixtures.imported("all-minilm-l6-v2");
        try (NDManager m = NDManager.newBaseManager()) {
            BertModel bert = BertFixtures.load(model.dir(), BertFixtures.reranker(), m);
            assertTrue(bert.parameters().get("classifier.weight").isPresent());
            assertTrue(bert.parameters().get("bert.encoder.layer.5.output.LayerNorm.bias").isPresent());
            assertTrue(bert.parameters().get("bert.pooler.dense.weight").isPresent()); // from the export
            assertEquals(List.of("BertForSequenceClassification"), bert.exportConfig().get("architectures"));
            assertEquals(1, bert.exportConfig().get("num_labels"));
            // re-loading an exported (prefixed) checkpoint finds every tensor, the head included
            Map<String, NDArray> exported = new LinkedHashMap<>();
            bert.parameters().all().forEach(p -> exported.put(p.name(), p.array()));
            BertModel again = new BertModel(BertConfig.parse(bert.exportConfig(), Path.of("config.json")), bert.exportConfig(),
                    exported, BertFixtures.reranker(), m, model.dir());
            assertArrayEquals(bert.parameters().get("classifier.weight").get().array().toFloatArray(),
                    again.parameters().get("classifier.weight").get().array().toFloatArray());
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreErrorsListingTheNames() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> json = BertFixtures.tinyConfig("bert");
            BertConfig c = BertConfig.parse(json, Path.of("config.json"));
            Map<String, NDArray> w = BertFixtures.tinyWeights(c, Task.EMBEDDING, m, DataType.FLOAT32, 1);
            w.remove("encoder.layer.1.output.dense.weight");
            UserException missing = assertThrows(UserException.class,
                    () -> new BertModel(c, json, w, BertFixtures.embedding("cls"), m, Path.of("/models/tiny")));
            assertEquals("/models/tiny: the checkpoint lacks 1 bert tensor(s): encoder.layer.1.output.dense.weight "
                    + "(is this a bert model?)", missing.getMessage());
            Map<String, NDArray> extra = BertFixtures.tinyWeights(c, Task.EMBEDDING, m, DataType.FLOAT32, 1);
            extra.put("encoder.layer.2.attention.self.query.weight", m.zeros(new Shape(16, 16)));
            extra.put("cls.predictions.bias", m.zeros(new Shape(50))); // a pretraining head: dropped, not an error
            UserException unexpected = assertThrows(UserException.class,
                    () -> new BertModel(c, json, extra, BertFixtures.embedding("cls"), m, Path.of("/models/tiny")));
            assertEquals("/models/tiny: the checkpoint has 1 tensor(s) that a bert model does not have: "
                    + "encoder.layer.2.attention.self.query.weight", unexpected.getMessage());
            UserException config = assertThrows(UserException.class,
                    () -> BertConfig.parse(Map.of("hidden_size", 16), Path.of("/m/config.json")));
            assertEquals("/m/config.json: missing required key 'vocab_size'", config.getMessage());
        }
    }

    /** The architecture decides weight decay: biases and LayerNorm weights take none (Hugging Face's groups). */
    @Test
    void biasesAndLayerNormsTakeNoWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> json = BertFixtures.tinyConfig("bert");
            BertConfig c = BertConfig.parse(json, Path.of("config.json"));
            BertModel model = new BertModel(c, json, BertFixtures.tinyWeights(c, Task.RERANKER, m, DataType.FLOAT32, 1),
                    BertFixtures.reranker(), m, Path.of("tiny"));
            assertEquals(false, model.parameters().get("bert.encoder.layer.0.attention.output.LayerNorm.weight").orElseThrow().decay());
            assertEquals(false, model.parameters().get("bert.encoder.layer.0.attention.self.query.bias").orElseThrow().decay());
            assertEquals(false, model.parameters().get("classifier.bias").orElseThrow().decay());
            assertEquals(true, model.parameters().get("bert.encoder.layer.0.attention.self.query.weight").orElseThrow().decay());
            assertEquals(true, model.parameters().get("bert.embeddings.word_embeddings.weight").orElseThrow().decay());
        }
    }

    /** XLM-R positions count real tokens from padding_idx + 1, whatever the padding side. */
    @Test
    void xlmRobertaPositionsAreOffsetByThePaddingIndexAndPaddingInvariant() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> json = BertFixtures.tinyConfig("xlm-roberta");
            BertConfig c = BertConfig.parse(json, Path.of("config.json"));
            BertModel model = new BertModel(c, json, BertFixtures.tinyWeights(c, Task.RERANKER, m, DataType.FLOAT32, 7),
                    BertFixtures.reranker(), m, Path.of("tiny"));
            List<Encoded> inputs = List.of(new Encoded(new long[] {0, 5, 6, 2}, new long[4], false),
                    new Encoded(new long[] {0, 7, 8, 9, 10, 11, 2}, new long[7], false));
            TokenBatch right = Batches.pad(inputs, 1, false, m);
            float[] batched = model.forward(right, false).toFloatArray();
            for (int i = 0; i < inputs.size(); i++) {
                assertEquals(model.forward(Batches.pad(List.of(inputs.get(i)), 1, false, m), false).getFloat(0), batched[i], 1e-5);
                assertEquals(model.forward(Batches.pad(List.of(inputs.get(i)), 1, true, m), false).getFloat(0), batched[i], 1e-5);
            }
            // the hand computation: ids 0 5 6 2 1 1 1 (right-padded) -> positions 2 3 4 5 1 1 1
            NDArray ids = right.inputIds().get("0:1");
            NDArray real = ids.neq(1).toType(DataType.INT64, false);
            assertArrayEquals(new long[] {2, 3, 4, 5, 1, 1, 1}, real.cumSum(1).mul(real).add(1).toLongArray());
        }
    }

    /** Autograd gradients of the cross-encoder score equal central finite differences (float64 model). */
    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> json = BertFixtures.tinyConfig("bert");
            BertConfig c = BertConfig.parse(json, Path.of("config.json"));
            Map<String, NDArray> w = BertFixtures.tinyWeights(c, Task.RERANKER, m, DataType.FLOAT64, 3);
            BertModel model = new BertModel(c, json, w, BertFixtures.reranker(), m, Path.of("tiny"));
            TokenBatch batch = Batches.pad(List.of(new Encoded(new long[] {2, 5, 9, 3, 7}, new long[] {0, 0, 0, 1, 1}, false),
                    new Encoded(new long[] {2, 11, 3}, new long[] {0, 0, 1}, false)), 0, false, m);
            List<String> checked = List.of("encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.LayerNorm.weight",
                    "embeddings.word_embeddings.weight", "pooler.dense.bias", "classifier.weight");
            for (String name : checked) {
                NDArray p = model.parameters().all().stream().filter(x -> x.name().endsWith(name)).findFirst().orElseThrow().array();
                dev.winnow.nn.testing.FiniteDifferences.check(name, p, () -> model.forward(batch, false).sum(),
                        dev.winnow.nn.testing.FiniteDifferences.spread(p));
            }
        }
    }

    /** import -> save -> load is bit-identical; a sharded save reloads equal. */
    @Test
    void roundTripsAreBitIdentical(@TempDir Path dir) {
        BertFixtures.Imported model = BertFixtures.imported("all-minilm-l6-v2");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> imported = OnnxBertImporter.read(model.onnx(), m).weights();
            Map<String, NDArray> loaded;
            try (SafetensorsReader r = SafetensorsReader.open(model.dir())) {
                loaded = r.loadAll(m);
            }
            assertEquals(imported.keySet(), loaded.keySet());
            imported.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), loaded.get(k).toFloatArray(), 0f, k));
            List<Path> shards = SafetensorsWriter.writeSharded(dir, "model", loaded, Map.of("format", "pt"), 20_000_000);
            assertTrue(shards.size() > 2, shards.toString());
            try (SafetensorsReader r = SafetensorsReader.open(dir)) {
                Map<String, NDArray> again = r.loadAll(m);
                loaded.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), again.get(k).toFloatArray(), 0f, k));
            }
        }
    }
}
