package dev.winnow.minicpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.run.LayerwiseRerankerStep;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.testing.FiniteDifferences;
import dev.winnow.nn.testing.KernelPaths;
import dev.winnow.rankinglosses.ListwiseCe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The tiny MiniCPM with layerwise heads against the float64 numpy reference in test resources (minicpm/reference.py,
 * written from FlagEmbedding's modeling_minicpm_reranker.py and its layerwise finetune loss): every head's score,
 * gradients, padding invariance on both kernel paths, finite differences, early stopping at the cutoff layer.
 */
class MiniCpmModelTest {
    static Map<String, Object> fixture;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        WinnowEngine.start();
        try (InputStream in = MiniCpmModelTest.class.getResourceAsStream("/minicpm/tiny_minicpm.json")) {
            fixture = new ObjectMapper().readValue(in, Map.class);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> config() {
        return new LinkedHashMap<>((Map<String, Object>) fixture.get("config"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, NDArray> referenceWeights(NDManager m, DataType type) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        ((Map<String, Map<String, Object>>) fixture.get("weights")).forEach((name, t) -> {
            List<Number> shape = (List<Number>) t.get("shape");
            List<Number> data = (List<Number>) t.get("data");
            double[] values = new double[data.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = data.get(i).doubleValue();
            }
            w.put(name, m.create(values, new Shape(shape.stream().mapToLong(Number::longValue).toArray())).toType(type, false));
        });
        return w;
    }

    static MiniCpmModel model(Map<String, Object> json, Map<String, NDArray> weights, KernelMode kernels) {
        return new MiniCpmModel(MiniCpmConfig.parse(json, Path.of("config.json")), json, weights,
                ModelOptions.of(Task.RERANKER).withKernels(kernels, Precision.FP32), Path.of("tiny"));
    }

    static MiniCpmModel reference(NDManager m, DataType type, KernelMode kernels) {
        return model(config(), referenceWeights(m, type), kernels);
    }

    @SuppressWarnings("unchecked")
    static List<Encoded> rows() {
        List<Encoded> out = new ArrayList<>();
        for (List<Number> row : (List<List<Number>>) fixture.get("rows")) {
            long[] ids = row.stream().mapToLong(Number::longValue).toArray();
            out.add(new Encoded(ids, new long[ids.length], false));
        }
        return out;
    }

    static final List<Integer> LAYERS = List.of(1, 2, 3);

    @SuppressWarnings("unchecked")
    static double expected(int row, int layerIndex) {
        return ((List<List<Number>>) fixture.get("scores")).get(row).get(layerIndex).doubleValue();
    }

    @Test
    void everyHeadsScoreEqualsTheNumpyReferenceAloneAndInLeftOrRightPaddedBatches() {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT64, KernelMode.COMPOSED);
            assertEquals(LAYERS, model.scoreLayers());
            int n = rows().size();
            for (int i = 0; i < n; i++) {
                NDArray alone = model.forwardLayers(Batches.pad(List.of(rows().get(i)), 0, true, m), LAYERS, false);
                assertEquals(new Shape(3, 1), alone.getShape());
                for (int l = 0; l < 3; l++) {
                    assertEquals(expected(i, l), alone.getDouble(l, 0), 1e-8, "row " + i + " layer " + LAYERS.get(l));
                }
            }
            for (boolean left : new boolean[] {true, false}) {
                TokenBatch batch = Batches.pad(rows(), 0, left, m);
                NDArray all = model.forwardLayers(batch, LAYERS, false);
                double[] last = model.forward(batch, false).toDoubleArray();
                for (int i = 0; i < n; i++) {
                    for (int l = 0; l < 3; l++) {
                        assertEquals(expected(i, l), all.getDouble(l, i), 1e-8, "row " + i + " layer " + LAYERS.get(l) + " left=" + left);
                    }
                    assertEquals(expected(i, 2), last[i], 1e-8, "forward scores at the last layer");
                }
            }
        }
    }

    /** Autograd of sum over layers of (layer + 1) * score against the reference's own central differences. */
    @SuppressWarnings("unchecked")
    @Test
    void gradientsOfEveryHeadEqualCentralDifferencesOfTheNumpyReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            for (var p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray weights = m.create(new double[] {2, 3, 4}).reshape(3, 1);
                gc.backward(model.forwardLayers(batch, LAYERS, true).mul(weights).sum());
            }
            assertProbes(model, (List<Map<String, Object>>) fixture.get("probes"));
        }
    }

    /**
     * FlagEmbedding's layerwise loss through the seam's {@link LayerwiseRerankerStep#loss}: listwise CE on every
     * head plus the last layer distilled into the earlier ones, value and gradients against the reference.
     */
    @SuppressWarnings("unchecked")
    @Test
    void theLayerwiseTrainingLossEqualsFlagEmbeddingsInTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows(), 0, false, m);
            for (var p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            List<List<Number>> groups = (List<List<Number>>) fixture.get("groups");
            long[] gather = groups.stream().flatMap(List::stream).mapToLong(Number::longValue).toArray();
            Shape shape = new Shape(groups.size(), groups.get(0).size());
            double[] labels = new double[(int) shape.size()];
            for (int g = 0; g < groups.size(); g++) {
                labels[g * groups.get(0).size()] = 1; // positive first
            }
            NDArray labelArray = m.create(labels, shape);
            NDArray mask = m.ones(shape, DataType.FLOAT64);
            double value;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray all = model.forwardLayers(batch, LAYERS, true);
                List<NDArray> grids = new ArrayList<>();
                for (int l = 0; l < 3; l++) {
                    grids.add(all.get(l).get(m.create(gather)).reshape(shape));
                }
                NDArray loss = LayerwiseRerankerStep.loss(new ListwiseCe(1.0, 2), grids, labelArray, mask, null);
                value = loss.getDouble();
                gc.backward(loss);
            }
            assertEquals(((Number) fixture.get("loss")).doubleValue(), value, 1e-8);
            assertProbes(model, (List<Map<String, Object>>) fixture.get("loss_probes"));
        }
    }

    private static void assertProbes(MiniCpmModel model, List<Map<String, Object>> probes) {
        for (Map<String, Object> probe : probes) {
            String name = (String) probe.get("name");
            int index = ((Number) probe.get("index")).intValue();
            double expected = ((Number) probe.get("gradient")).doubleValue();
            double got = model.parameters().get(name).orElseThrow().array().getGradient().toDoubleArray()[index];
            assertEquals(expected, got, 1e-6 + 1e-5 * Math.abs(expected), name + "[" + index + "]");
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void aLeftOrRightPaddedBatchEqualsEachRowAloneOnBothKernelPaths(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT32, kernels);
            for (boolean left : new boolean[] {true, false}) {
                NDArray batched = model.forwardLayers(Batches.pad(rows(), 0, left, m), LAYERS, false);
                for (int i = 0; i < rows().size(); i++) {
                    NDArray alone = model.forwardLayers(Batches.pad(List.of(rows().get(i)), 0, left, m), LAYERS, false);
                    for (int l = 0; l < 3; l++) {
                        assertEquals(alone.getFloat(l, 0), batched.getFloat(l, i), 2e-5, kernels + " left=" + left + " row " + i);
                        assertEquals(expected(i, l), alone.getFloat(l, 0), 1e-4, kernels + " against the reference");
                    }
                }
            }
        }
    }

    /** The TorchScript kernels equal the composed reference: score and every parameter's gradient within 1e-5. */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int cutoff : LAYERS) {
                java.util.function.Function<NDManager, TokenBatch> batch = s -> Batches.pad(rows(), 0, true, s);
                double worst = KernelPaths.assertClose(
                        KernelPaths.outputAndGradients(reference(m, DataType.FLOAT32, KernelMode.COMPOSED).atLayer(cutoff), batch),
                        KernelPaths.outputAndGradients(reference(m, DataType.FLOAT32, KernelMode.TORCHSCRIPT).atLayer(cutoff), batch),
                        1e-5, false);
                System.out.printf("MiniCPM cutoff %d: TorchScript vs composed, worst difference %.3g%n", cutoff, worst);
            }
        }
    }

    /** Autograd against central finite differences of this model itself, float64, on both kernel paths. */
    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void gradientsMatchFiniteDifferences(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT64, kernels);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            NDArray weights = m.create(new double[] {0.5, -1, 2}).reshape(3, 1);
            for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                    "model.layers.2.mlp.gate_proj.weight", "model.norm.weight", "lm_head.1.linear_head.weight")) {
                NDArray p = model.parameters().get(name).orElseThrow().array();
                FiniteDifferences.check(name, p, () -> model.forwardLayers(batch, LAYERS, false).mul(weights).sum(),
                        java.util.Arrays.copyOf(FiniteDifferences.spread(p), 3));
            }
        }
    }

    /** A cutoff layer scores with its own head and never runs the layers above it. */
    @Test
    void theCutoffLayerScoresWithItsHeadAndStopsThere() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT64);
            MiniCpmModel model = model(config(), weights, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            for (int l = 0; l < 3; l++) {
                MiniCpmModel at = model.atLayer(LAYERS.get(l));
                assertEquals(LAYERS.get(l), at.cutoffLayer());
                double[] scores = at.forward(batch, false).toDoubleArray();
                for (int i = 0; i < scores.length; i++) {
                    assertEquals(expected(i, l), scores[i], 1e-8, "cutoff " + LAYERS.get(l) + " row " + i);
                }
            }
            // the layer above the cutoff is not run: changing its weights leaves the layer-2 scores as they were
            double[] before = model.atLayer(2).forward(batch, false).toDoubleArray();
            weights.get("model.layers.2.mlp.down_proj.weight").muli(3.0);
            assertArrayEquals(before, model.atLayer(2).forward(batch, false).toDoubleArray(), 0);
            assertTrue(Math.abs(model.forward(batch, false).getDouble(0) - expected(0, 2)) > 1e-6, "layer 3 did change");
            UserException e = assertThrows(UserException.class, () -> model.atLayer(0));
            assertEquals("cutoff layer 0 has no score head; this model's heads read layers 1 to 3 (start_layer to "
                    + "num_hidden_layers)", e.getMessage());
            assertThrows(UserException.class, () -> model.atLayer(4));
        }
    }

    /** head_multi false: one shared lm_head.linear_head reads every layer. */
    @Test
    void aSharedHeadReadsEveryLayer() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT64);
            NDArray shared = weights.remove("lm_head.1.linear_head.weight");
            weights.remove("lm_head.0.linear_head.weight");
            weights.remove("lm_head.2.linear_head.weight");
            weights.put("lm_head.linear_head.weight", shared);
            Map<String, Object> json = config();
            json.put("head_multi", false);
            MiniCpmModel model = model(json, weights, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            // layer 2 reads the head that was lm_head.1: the reference's layer-2 score
            double[] scores = model.atLayer(2).forward(batch, false).toDoubleArray();
            for (int i = 0; i < scores.length; i++) {
                assertEquals(expected(i, 1), scores[i], 1e-8);
            }
            assertEquals(List.of("lm_head.linear_head.weight"), model.parameters().all().stream().map(p -> p.name())
                    .filter(n -> n.startsWith("lm_head")).toList());
        }
    }

    @Test
    void normWeightsTakeNoWeightDecayAndExportKeepsTheHeadNamesAndLayerwiseKeys() {
        try (NDManager m = NDManager.newBaseManager()) {
            MiniCpmModel model = reference(m, DataType.FLOAT32, KernelMode.AUTO);
            for (var p : model.parameters().all()) {
                assertEquals(!p.name().endsWith("norm.weight"), p.decay(), p.name());
            }
            List<String> heads = model.parameters().all().stream().map(p -> p.name()).filter(n -> n.startsWith("lm_head")).toList();
            assertEquals(List.of("lm_head.0.linear_head.weight", "lm_head.1.linear_head.weight", "lm_head.2.linear_head.weight"), heads);
            Map<String, Object> exported = model.exportConfig();
            assertEquals(List.of("LayerWiseMiniCPMForCausalLM"), exported.get("architectures"));
            assertEquals(1, exported.get("start_layer"));
            assertEquals(true, exported.get("head_multi"));
            assertEquals("simple", exported.get("head_type"));
            assertEquals(12, exported.get("scale_emb"));
        }
    }

    @Test
    void laterMiniCpmKeysAndBadConfigsAreRefusedByName() {
        for (String key : List.of("num_experts", "q_lora_rank", "kv_lora_rank", "sparse_config")) {
            Map<String, Object> json = config();
            json.put(key, 8);
            UserException e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
            assertTrue(e.getMessage().startsWith("/m/config.json: " + key + " 8 is not supported: that is a later MiniCPM"), e.getMessage());
        }
        Map<String, Object> json = config();
        json.put("head_type", "complex");
        UserException e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
        assertTrue(e.getMessage().startsWith("/m/config.json: head_type 'complex' is not supported"), e.getMessage());
        json.put("head_type", "simple");
        json.put("rope_scaling", Map.of("type", "dynamic", "factor", 2.0));
        e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
        assertTrue(e.getMessage().startsWith("/m/config.json: rope_scaling type 'dynamic' is not supported"), e.getMessage());
        json.remove("rope_scaling");
        json.put("hidden_act", "gelu");
        e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: hidden_act 'gelu' is not supported; supported: silu", e.getMessage());
        json.put("hidden_act", "silu");
        json.put("start_layer", 4);
        e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: start_layer 4 must be between 0 and num_hidden_layers 3", e.getMessage());
        json.put("start_layer", 1);
        json.put("num_key_value_heads", 3);
        e = assertThrows(UserException.class, () -> MiniCpmConfig.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3", e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT32);
            weights.remove("model.norm.weight");
            UserException missing = assertThrows(UserException.class, () -> model(config(), weights, KernelMode.AUTO));
            assertTrue(missing.getMessage().startsWith("tiny: the checkpoint lacks 1 minicpm tensor(s): model.norm.weight"),
                    missing.getMessage());
        }
    }

    /** A bare MiniCPM causal LM (lm_head.weight over the vocabulary, no layerwise heads) gets fresh seeded heads. */
    @Test
    void aBareCausalLmGetsFreshHeadsAndIgnoresItsVocabularyHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT32);
            weights.keySet().removeIf(n -> n.startsWith("lm_head."));
            weights.put("lm_head.weight", m.zeros(new Shape(64, 32)));
            float[] a = model(config(), weights, KernelMode.AUTO).forward(Batches.pad(rows(), 0, true, m), false).toFloatArray();
            float[] b = model(config(), weights, KernelMode.AUTO).forward(Batches.pad(rows(), 0, true, m), false).toFloatArray();
            assertArrayEquals(a, b, 0f, "seeded");
            assertTrue(Math.abs(a[0]) > 0, "a fresh head scores");
        }
    }

    /** The memory estimate's shape of the real checkpoint: MiniCPM-2B's 2.7 B parameters plus 33 heads. */
    @Test
    void theKnownCheckpointsShape() {
        var shape = MiniCpmPlugin.ARCHITECTURE.shape(MiniCpmPlugin.KNOWN.get("BAAI/bge-reranker-v2-minicpm-layerwise")).orElseThrow();
        System.out.println("bge-reranker-v2-minicpm-layerwise parameters: " + shape.parameters());
        assertTrue(shape.parameters() > 2_700_000_000L && shape.parameters() < 2_750_000_000L, "" + shape.parameters());
    }
}
