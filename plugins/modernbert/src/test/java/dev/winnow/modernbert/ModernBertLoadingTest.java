package dev.winnow.modernbert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.UserException;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelShape;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.text.Batches;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checkpoint layouts (classification, bare base, masked-LM base), the fresh head, export names, config refusals. */
class ModernBertLoadingTest {
    /** The classification checkpoint's tensors renamed as a bare ModernBertModel saves them (no head, no prefix). */
    static Map<String, NDArray> bare(Map<String, NDArray> w) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        w.forEach((n, a) -> {
            if (n.startsWith("model.")) {
                out.put(n.substring("model.".length()), a);
            }
        });
        return out;
    }

    static ModernBertModel reranker(Map<String, NDArray> w, NDManager m) {
        return ModernBertFixtures.model(ModernBertFixtures.config("biased"), w, ModernBertFixtures.reranker(KernelMode.COMPOSED, Precision.FP32), m);
    }

    @Test
    void aBareBaseGetsAFreshHeadInitialisedAsTransformersDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = reranker(bare(ModernBertFixtures.weights("biased", m, DataType.FLOAT32)), m);
            Map<String, NDArray> p = byName(model);
            assertEquals(new Shape(16, 16), p.get("head.dense.weight").getShape());
            assertEquals(new Shape(1, 16), p.get("classifier.weight").getShape());
            assertArrayEquals(new float[16], p.get("head.dense.bias").toFloatArray());
            assertArrayEquals(new float[] {0f}, p.get("classifier.bias").toFloatArray());
            float[] ones = new float[16];
            java.util.Arrays.fill(ones, 1f);
            assertArrayEquals(ones, p.get("head.norm.weight").toFloatArray());
            // head.dense: truncated normal, std initializer_range / sqrt(2 layers), cut at 2 std
            double std = 0.02 / Math.sqrt(8);
            for (float v : p.get("head.dense.weight").toFloatArray()) {
                assertTrue(Math.abs(v) <= 2 * std + 1e-9, "within the cutoff: " + v);
            }
            assertTrue(p.get("head.dense.weight").abs().max().getFloat() > 0.5 * std, "not all zero");
            // the encoder is exported under ModernBertForSequenceClassification's names
            assertTrue(p.containsKey("model.layers.3.mlp.Wi.weight"));
            assertTrue(p.containsKey("model.final_norm.bias"));
            assertFalse(p.containsKey("layers.0.attn_norm.weight"), "layer 0 has no attention norm");
            float[] scores = model.forward(Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, false, m), false).toFloatArray();
            assertEquals(4, scores.length);
        }
    }

    /** A masked-LM base (model. prefix, head.dense/head.norm, decoder.bias) keeps its prediction head; the classifier is new. */
    @Test
    void aMaskedLmBaseKeepsItsPredictionHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = ModernBertFixtures.weights("biased", m, DataType.FLOAT32);
            w.remove("classifier.weight");
            w.remove("classifier.bias");
            w.put("decoder.bias", m.zeros(new Shape(64)));
            float[] dense = w.get("head.dense.weight").toFloatArray();
            ModernBertModel model = reranker(w, m);
            assertArrayEquals(dense, byName(model).get("head.dense.weight").toFloatArray());
            assertEquals(new Shape(1, 16), byName(model).get("classifier.weight").getShape());
        }
    }

    /** Exported parameters (ModernBertForSequenceClassification names) load again to the same model. */
    @Test
    void anExportedRerankerReloadsEqual() {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = reranker(bare(ModernBertFixtures.weights("biased", m, DataType.FLOAT32)), m);
            Map<String, NDArray> exported = byName(model);
            Map<String, Object> config = model.exportConfig();
            assertEquals(List.of("ModernBertForSequenceClassification"), config.get("architectures"));
            assertEquals(1, config.get("num_labels"));
            assertEquals(Map.of("0", "LABEL_0"), config.get("id2label"));
            ModernBertModel again = ModernBertFixtures.model(config, exported, ModernBertFixtures.reranker(KernelMode.COMPOSED, Precision.FP32), m);
            var batch = Batches.pad(ModernBertFixtures.rows(), ModernBertFixtures.PAD, false, m);
            assertArrayEquals(model.forward(batch, false).toFloatArray(), again.forward(batch, false).toFloatArray(), 0f);
        }
    }

    /** An embedder reads a classification checkpoint's encoder, drops the head and exports a bare ModernBertModel. */
    @Test
    void anEmbedderDropsTheHeadAndExportsTheBareModel() {
        try (NDManager m = NDManager.newBaseManager()) {
            ModernBertModel model = ModernBertFixtures.model(ModernBertFixtures.config("plain"), ModernBertFixtures.weights("plain", m, DataType.FLOAT32),
                    ModernBertFixtures.embedding("cls", KernelMode.COMPOSED), m);
            Map<String, NDArray> p = byName(model);
            assertTrue(p.containsKey("embeddings.tok_embeddings.weight"));
            assertFalse(p.keySet().stream().anyMatch(n -> n.startsWith("head.") || n.startsWith("classifier.") || n.startsWith("model.")), p.keySet().toString());
            assertEquals(List.of("ModernBertModel"), model.exportConfig().get("architectures"));
            assertEquals("cls", model.pooling());
            assertEquals(List.of(), model.headModules());
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreErrorsListingTheNames() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = ModernBertFixtures.weights("plain", m, DataType.FLOAT32);
            w.remove("model.layers.2.mlp.Wo.weight");
            UserException missing = assertThrows(UserException.class, () -> ModernBertFixtures.model(ModernBertFixtures.config("plain"), w,
                    ModernBertFixtures.reranker(KernelMode.COMPOSED, Precision.FP32), m));
            assertEquals("tiny: the checkpoint lacks 1 modernbert tensor(s): layers.2.mlp.Wo.weight (is this a modernbert model?)",
                    missing.getMessage());
            Map<String, NDArray> extra = ModernBertFixtures.weights("plain", m, DataType.FLOAT32);
            extra.put("model.layers.0.attn.Wqkv.bias", m.zeros(new Shape(48))); // attention_bias is false
            UserException unexpected = assertThrows(UserException.class, () -> ModernBertFixtures.model(ModernBertFixtures.config("plain"), extra,
                    ModernBertFixtures.reranker(KernelMode.COMPOSED, Precision.FP32), m));
            assertEquals("tiny: the checkpoint has 1 tensor(s) that a modernbert model does not have: layers.0.attn.Wqkv.bias",
                    unexpected.getMessage());
        }
    }

    @Test
    void unimplementedConfigValuesAreRefusedByName() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("hidden_activation=relu", "/m/config.json: hidden_activation 'relu' is not supported; supported: gelu");
        cases.put("classifier_activation=silu", "/m/config.json: classifier_activation 'silu' is not supported; supported: gelu");
        cases.put("classifier_pooling=max", "/m/config.json: classifier_pooling 'max' is not supported; supported: cls, mean");
        cases.put("head_dim=4", "/m/config.json: head_dim 4 is not hidden_size / num_attention_heads (8), which ModernBERT's attention uses");
        for (var e : cases.entrySet()) {
            Map<String, Object> json = ModernBertFixtures.config("plain");
            String[] kv = e.getKey().split("=");
            json.put(kv[0], kv[0].equals("head_dim") ? (Object) Integer.valueOf(kv[1]) : kv[1]);
            UserException x = assertThrows(UserException.class, () -> ModernBertConfig.parse(json, Path.of("/m/config.json")));
            assertEquals(e.getValue(), x.getMessage());
        }
        Map<String, Object> scaled = ModernBertFixtures.config("plain");
        scaled.put("rope_scaling", Map.of("rope_type", "linear", "factor", 2.0));
        assertTrue(assertThrows(UserException.class, () -> ModernBertConfig.parse(scaled, Path.of("/m/config.json"))).getMessage()
                .endsWith("is not supported: only the default rotary embedding is implemented"));
        Map<String, Object> kinds = ModernBertFixtures.config("plain");
        kinds.put("layer_types", List.of("full_attention", "full_attention", "sliding_attention", "full_attention"));
        assertEquals("/m/config.json: layer_types[1] is full_attention but global_attn_every_n_layers 3 makes layer 1 sliding_attention; "
                + "only that pattern is implemented",
                assertThrows(UserException.class, () -> ModernBertConfig.parse(kinds, Path.of("/m/config.json"))).getMessage());
        Map<String, Object> rope = ModernBertFixtures.config("plain");
        rope.put("rope_parameters", Map.of("sliding_attention", Map.of("rope_type", "yarn", "rope_theta", 10000.0)));
        assertEquals("/m/config.json: rope_parameters.sliding_attention.rope_type 'yarn' is not supported: only the default rotary "
                + "embedding is implemented", assertThrows(UserException.class, () -> ModernBertConfig.parse(rope, Path.of("/m/config.json"))).getMessage());
        Map<String, Object> missing = ModernBertFixtures.config("plain");
        missing.remove("hidden_size");
        assertEquals("/m/config.json: missing required key 'hidden_size'",
                assertThrows(UserException.class, () -> ModernBertConfig.parse(missing, Path.of("/m/config.json"))).getMessage());
    }

    /** transformers 5 configs (rope_parameters, layer_types) read as the older keys do. */
    @Test
    void theNewerRopeParametersAndLayerTypesAreRead() {
        Map<String, Object> json = ModernBertFixtures.config("plain");
        json.remove("global_rope_theta");
        json.remove("local_rope_theta");
        json.put("rope_parameters", Map.of("full_attention", Map.of("rope_type", "default", "rope_theta", 80000.0),
                "sliding_attention", Map.of("rope_type", "default", "rope_theta", 5000.0)));
        json.put("layer_types", List.of("full_attention", "sliding_attention", "sliding_attention", "full_attention"));
        ModernBertConfig c = ModernBertConfig.parse(json, Path.of("c"));
        assertEquals(80000.0, c.ropeTheta(3));
        assertEquals(5000.0, c.ropeTheta(2));
        Map<String, Object> defaults = ModernBertFixtures.config("plain");
        defaults.remove("global_rope_theta");
        defaults.remove("local_rope_theta");
        ModernBertConfig d = ModernBertConfig.parse(defaults, Path.of("c"));
        assertEquals(160000.0, d.globalRopeTheta());
        assertEquals(10000.0, d.localRopeTheta());
    }

    @Test
    void biasesAndNormsTakeNoWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Parameter p : reranker(ModernBertFixtures.weights("biased", m, DataType.FLOAT32), m).parameters().all()) {
                boolean expected = !p.name().endsWith(".bias") && !p.name().endsWith("norm.weight");
                assertEquals(expected, p.decay(), p.name());
            }
        }
    }

    /** The plugin is found through ServiceLoader and sizes gte-reranker-modernbert-base (149M) before any download. */
    @Test
    void theArchitectureIsDiscoveredAndSizesThePublishedModel() {
        ComponentRegistry registry = ComponentRegistry.discover();
        ModelArchitecture a = registry.find(ComponentKind.MODEL, "modernbert").map(ModelLoader::instance).orElseThrow();
        assertEquals("pair", a.defaultTemplate(Task.RERANKER));
        ModelShape shape = a.shape(a.knownConfigs().get("Alibaba-NLP/gte-reranker-modernbert-base")).orElseThrow();
        System.out.printf("gte-reranker-modernbert-base: %,d parameters%n", shape.parameters());
        assertTrue(shape.parameters() > 149_000_000L && shape.parameters() < 150_500_000L, "" + shape.parameters());
        assertEquals(22, shape.layers());
        assertEquals(50368L * 768, shape.largestTensor());
        // the shape counts exactly what a model of the tiny config holds (head included)
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : List.of("plain", "biased")) {
                long held = 0;
                for (Parameter p : ModernBertFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED).parameters().all()) {
                    held += p.array().size();
                }
                assertEquals(held, a.shape(ModernBertFixtures.config(variant)).orElseThrow().parameters(), variant);
            }
        }
    }

    private static Map<String, NDArray> byName(ModernBertModel model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        model.parameters().all().forEach(p -> out.put(p.name(), p.array()));
        return out;
    }
}
