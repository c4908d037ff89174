package dev.winnow.deberta;

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
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.ModelShape;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.text.Batches;
import dev.winnow.deberta.DebertaOptions.Head;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checkpoint layouts (classification, bare base, pre-training base), fresh heads, export names, config refusals. */
class DebertaLoadingTest {
    /** The classification checkpoint's encoder as a bare DebertaV2Model saves it (no head, no prefix). */
    static Map<String, NDArray> bare(Map<String, NDArray> w) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        w.forEach((n, a) -> {
            if (n.startsWith("deberta.")) {
                out.put(n.substring("deberta.".length()), a);
            }
        });
        return out;
    }

    static DebertaModel reranker(String variant, Map<String, NDArray> w, Head head, NDManager m) {
        return DebertaFixtures.model(DebertaFixtures.config(variant), w, DebertaFixtures.reranker(KernelMode.COMPOSED, Precision.FP32, head), m);
    }

    @Test
    void aBareBaseGetsAFreshContextPoolerAndClassifierInitialisedAsTransformersDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            DebertaModel model = reranker("v3", bare(DebertaFixtures.weights("v3", m, DataType.FLOAT32)), null, m);
            assertEquals(Head.CONTEXT_POOLER, model.head());
            Map<String, NDArray> p = byName(model);
            assertEquals(new Shape(16, 16), p.get("pooler.dense.weight").getShape());
            assertEquals(new Shape(1, 16), p.get("classifier.weight").getShape());
            assertArrayEquals(new float[16], p.get("pooler.dense.bias").toFloatArray());
            assertArrayEquals(new float[] {0f}, p.get("classifier.bias").toFloatArray());
            float std = (float) Math.sqrt(p.get("pooler.dense.weight").square().mean().getFloat());
            assertEquals(0.02, std, 0.005, "normal(0, initializer_range)");
            assertTrue(p.containsKey("deberta.encoder.rel_embeddings.weight"));
            assertTrue(p.containsKey("deberta.encoder.layer.2.attention.self.query_proj.bias"));
            assertEquals(List.of("pooler.dense", "classifier"), model.headModules());
            assertEquals(4, model.forward(Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, false, m), false).size());
        }
    }

    /**
     * A pre-training checkpoint as microsoft/deberta-v3-base stores one (deberta. prefix, the masked-LM and
     * replaced-token-detection heads, the position_ids buffer, a position table that position_biased_input false leaves
     * unused) loads with those dropped; the mean head takes only a classifier.
     */
    @Test
    void aPreTrainingCheckpointDropsItsHeadsAndTheUnusedPositionTable() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = DebertaFixtures.weights("v3", m, DataType.FLOAT32);
            w.remove("pooler.dense.weight");
            w.remove("pooler.dense.bias");
            w.remove("classifier.weight");
            w.remove("classifier.bias");
            w.put("lm_predictions.lm_head.dense.weight", m.zeros(new Shape(16, 16)));
            w.put("lm_predictions.lm_head.bias", m.zeros(new Shape(64)));
            w.put("mask_predictions.classifier.weight", m.zeros(new Shape(1, 16)));
            w.put("deberta.embeddings.position_embeddings.weight", m.zeros(new Shape(16, 16)));
            w.put("deberta.embeddings.position_ids", m.zeros(new Shape(1, 16), DataType.INT64));
            DebertaModel model = reranker("v3", w, Head.MEAN, m);
            Map<String, NDArray> p = byName(model);
            assertFalse(p.containsKey("pooler.dense.weight"), "the mean head has no pooler");
            assertEquals(new Shape(1, 16), p.get("classifier.weight").getShape());
            assertFalse(p.keySet().stream().anyMatch(n -> n.contains("predictions") || n.contains("position_")), p.keySet().toString());
        }
    }

    /** Exported parameters and config load again to the same model; the mean head is recorded as pooling_method. */
    @Test
    void exportedRerankersReloadEqualWithTheirHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            var batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, false, m);
            for (Head head : Head.values()) {
                DebertaModel model = reranker("v2", DebertaFixtures.weights("v2", m, DataType.FLOAT32), head, m);
                Map<String, Object> config = model.exportConfig();
                assertEquals(1, config.get("num_labels"));
                assertEquals(Map.of("0", "LABEL_0"), config.get("id2label"));
                if (head == Head.MEAN) {
                    assertEquals(List.of("DebertaV2Model"), config.get("architectures"));
                    assertEquals("mean", config.get("pooling_method"));
                } else {
                    assertEquals(List.of("DebertaV2ForSequenceClassification"), config.get("architectures"));
                    assertFalse(config.containsKey("pooling_method"));
                }
                // no recipe option: the exported config alone decides the head
                DebertaModel again = DebertaFixtures.model(config, byName(model), DebertaFixtures.reranker(KernelMode.COMPOSED), m);
                assertEquals(head, again.head());
                assertArrayEquals(model.forward(batch, false).toFloatArray(), again.forward(batch, false).toFloatArray(), 0f);
            }
            // the recipe's option wins over the checkpoint's pooling_method
            Map<String, Object> mean = DebertaFixtures.config("v2");
            mean.put("pooling_method", "mean");
            DebertaModel cp = DebertaFixtures.model(mean, DebertaFixtures.weights("v2", m, DataType.FLOAT32),
                    DebertaFixtures.reranker(KernelMode.COMPOSED, Precision.FP32, Head.CONTEXT_POOLER), m);
            assertEquals(Head.CONTEXT_POOLER, cp.head());
        }
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreErrorsNamingThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = DebertaFixtures.weights("v3", m, DataType.FLOAT32);
            w.remove("deberta.encoder.rel_embeddings.weight");
            UserException missing = assertThrows(UserException.class, () -> reranker("v3", w, null, m));
            assertEquals("tiny: the checkpoint lacks 1 deberta-v2 tensor(s): encoder.rel_embeddings.weight (is this a deberta-v2 model?)",
                    missing.getMessage());
            Map<String, NDArray> extra = DebertaFixtures.weights("v3", m, DataType.FLOAT32);
            extra.put("deberta.encoder.layer.0.attention.self.pos_key_proj.weight", m.zeros(new Shape(16, 16))); // share_att_key
            UserException unexpected = assertThrows(UserException.class, () -> reranker("v3", extra, null, m));
            assertEquals("tiny: the checkpoint has 1 tensor(s) that a deberta-v2 model does not have: "
                    + "encoder.layer.0.attention.self.pos_key_proj.weight", unexpected.getMessage());
            Map<String, NDArray> wrong = DebertaFixtures.weights("v3", m, DataType.FLOAT32);
            wrong.put("deberta.encoder.rel_embeddings.weight", m.zeros(new Shape(32, 16)));
            assertEquals("tiny: deberta.encoder.rel_embeddings.weight has shape (32, 16) but config.json makes it (16, 16)",
                    assertThrows(UserException.class, () -> reranker("v3", wrong, null, m)).getMessage());
        }
    }

    @Test
    void unimplementedConfigValuesAreRefusedByName() {
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("model_type=deberta", "/m/config.json: model_type 'deberta' is not deberta-v2 (DeBERTa-v2 and v3 checkpoints use "
                + "deberta-v2; DeBERTa v1 is not implemented)");
        cases.put("hidden_act=relu", "/m/config.json: hidden_act 'relu' is not supported; supported: gelu");
        cases.put("pooler_hidden_act=tanh", "/m/config.json: pooler_hidden_act 'tanh' is not supported; supported: gelu");
        cases.put("conv_kernel_size=3", "/m/config.json: conv_kernel_size 3 is not supported: the DeBERTa-v2 convolution layer "
                + "(ConvLayer) is not implemented (DeBERTa-v3 models do not use it)");
        cases.put("pos_att_type=c2p", "/m/config.json: pos_att_type c2p is not supported: only both terms, c2p and p2c (as every "
                + "published DeBERTa-v2/v3 model), are implemented");
        cases.put("relative_attention=false", "/m/config.json: relative_attention false is not supported: only DeBERTa's "
                + "disentangled relative attention (relative_attention: true, as every published v2/v3 model) is implemented");
        cases.put("norm_rel_ebd=batch_norm", "/m/config.json: norm_rel_ebd 'batch_norm' is not supported; supported: none, layer_norm");
        cases.put("attention_head_size=4", "/m/config.json: attention_head_size 4 is not supported: only hidden_size / "
                + "num_attention_heads (8) is implemented");
        cases.put("embedding_size=8", "/m/config.json: embedding_size 8 is not supported: only embeddings of hidden_size (16), "
                + "without embed_proj, are implemented");
        cases.put("pooler_hidden_size=32", "/m/config.json: pooler_hidden_size 32 is not hidden_size 16, which ContextPooler's "
                + "output (the classifier's input) must be");
        cases.put("pooling_method=max", "/m/config.json: pooling_method 'max' is not supported; supported: mean, cls");
        for (var e : cases.entrySet()) {
            Map<String, Object> json = DebertaFixtures.config("v3");
            String[] kv = e.getKey().split("=");
            Object value = kv[1].matches("\\d+") ? (Object) Integer.valueOf(kv[1]) : kv[1].equals("false") ? (Object) Boolean.FALSE : kv[1];
            json.put(kv[0], value);
            UserException x = assertThrows(UserException.class, () -> DebertaConfig.parse(json, Path.of("/m/config.json")), e.getKey());
            assertEquals(e.getValue(), x.getMessage());
        }
        Map<String, Object> missing = DebertaFixtures.config("v3");
        missing.remove("hidden_size");
        assertEquals("/m/config.json: missing required key 'hidden_size'",
                assertThrows(UserException.class, () -> DebertaConfig.parse(missing, Path.of("/m/config.json"))).getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            UserException task = assertThrows(UserException.class, () -> DebertaFixtures.model(DebertaFixtures.config("v3"),
                    DebertaFixtures.weights("v3", m, DataType.FLOAT32), ModelOptions.of(Task.EMBEDDING), m));
            assertEquals("DeBERTa is implemented as a cross-encoder: task embedding is not available; use task: reranker", task.getMessage());
        }
    }

    /** Every key of microsoft/deberta-v3-base's config.json, with both spellings of pos_att_type. */
    @Test
    void theDebertaV3BaseConfigReads() {
        Map<String, Object> json = new LinkedHashMap<>(DebertaPlugin.KNOWN.get("microsoft/deberta-v3-base"));
        for (Object terms : List.of("p2c|c2p", List.of("p2c", "c2p"))) {
            json.put("pos_att_type", terms);
            DebertaConfig c = DebertaConfig.parse(json, Path.of("config.json"));
            assertEquals(256, c.attentionSpan());
            assertEquals(512, c.maxRelativePositions());
            assertTrue(c.shareAttKey());
            assertTrue(c.normRelEmbedding());
            assertFalse(c.positionBiasedInput());
            assertEquals(0, c.typeVocabSize());
            assertEquals(1e-7, c.layerNormEps());
            assertEquals(0.1, c.clsDropout());
            assertEquals(64, c.headDim());
        }
    }

    @Test
    void biasesAndLayerNormsTakeNoWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Parameter p : DebertaFixtures.reranker("v2", m, DataType.FLOAT32, KernelMode.COMPOSED).parameters().all()) {
                boolean expected = !p.name().endsWith(".bias") && !p.name().endsWith("LayerNorm.weight");
                assertEquals(expected, p.decay(), p.name());
            }
        }
    }

    /** The plugin is found through ServiceLoader and sizes deberta-v3-base (184M) before any download. */
    @Test
    void theArchitectureIsDiscoveredAndSizesThePublishedModel() {
        ComponentRegistry registry = ComponentRegistry.discover();
        ModelArchitecture a = registry.find(ComponentKind.MODEL, "deberta-v2").map(ModelLoader::instance).orElseThrow();
        assertEquals("pair", a.defaultTemplate(Task.RERANKER));
        assertEquals(DebertaOptions.class, a.optionsType());
        ModelShape shape = a.shape(a.knownConfigs().get("microsoft/deberta-v3-base")).orElseThrow();
        System.out.printf("deberta-v3-base as a reranker: %,d parameters%n", shape.parameters());
        assertTrue(shape.parameters() > 184_000_000L && shape.parameters() < 184_500_000L, "" + shape.parameters());
        assertEquals(12, shape.layers());
        assertEquals(128100L * 768, shape.largestTensor());
        try (NDManager m = NDManager.newBaseManager()) {
            for (String variant : DebertaFixtures.VARIANTS) {
                long held = 0;
                for (Parameter p : DebertaFixtures.reranker(variant, m, DataType.FLOAT32, KernelMode.COMPOSED).parameters().all()) {
                    held += p.array().size();
                }
                assertEquals(held, a.shape(DebertaFixtures.config(variant)).orElseThrow().parameters(), variant);
            }
        }
    }

    private static Map<String, NDArray> byName(DebertaModel model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        model.parameters().all().forEach(p -> out.put(p.name(), p.array()));
        return out;
    }
}
