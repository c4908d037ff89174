package dev.winnow.gemma;

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
import dev.winnow.api.model.AnswerTokenIds;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.testing.FiniteDifferences;
import dev.winnow.nn.testing.KernelPaths;
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
 * The tiny Gemma against the float64 numpy reference in test resources (gemma/gemma_reference.py, written from
 * transformers' modeling_gemma.py), padding invariance and the two kernel paths, autograd against finite differences.
 */
class GemmaModelTest {
    static final long YES = 7;
    static Map<String, Object> fixture;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        WinnowEngine.start();
        try (InputStream in = GemmaModelTest.class.getResourceAsStream("/gemma/tiny_gemma.json")) {
            fixture = new ObjectMapper().readValue(in, Map.class);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> config() {
        return new LinkedHashMap<>((Map<String, Object>) fixture.get("config"));
    }

    /** The reference's weights, in {@code type}. */
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
            long[] s = shape.stream().mapToLong(Number::longValue).toArray();
            w.put(name, m.create(values, new Shape(s)).toType(type, false));
        });
        return w;
    }

    static GemmaModel model(Map<String, Object> json, Map<String, NDArray> weights, KernelMode kernels, Precision precision) {
        return new GemmaModel(GemmaConfig.parse(json, Path.of("config.json")), json, weights,
                ModelOptions.of(Task.GENERATIVE_RERANKER).withAnswerTokens(new AnswerTokenIds(YES, 11)).withKernels(kernels, precision),
                Path.of("tiny"));
    }

    static GemmaModel reference(NDManager m, DataType type, KernelMode kernels) {
        return model(config(), referenceWeights(m, type), kernels, Precision.FP32);
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

    @SuppressWarnings("unchecked")
    @Test
    void scoresEqualTheNumpyReferenceAloneAndInLeftOrRightPaddedBatches() {
        List<Number> expected = (List<Number>) fixture.get("scores");
        try (NDManager m = NDManager.newBaseManager()) {
            GemmaModel model = reference(m, DataType.FLOAT64, KernelMode.COMPOSED);
            for (int i = 0; i < expected.size(); i++) {
                double alone = model.forward(Batches.pad(List.of(rows().get(i)), 0, true, m), false).toDoubleArray()[0];
                assertEquals(expected.get(i).doubleValue(), alone, 1e-8, "row " + i + " alone");
            }
            for (boolean left : new boolean[] {true, false}) {
                double[] batched = model.forward(Batches.pad(rows(), 0, left, m), false).toDoubleArray();
                for (int i = 0; i < expected.size(); i++) {
                    assertEquals(expected.get(i).doubleValue(), batched[i], 1e-8, "row " + i + " left=" + left);
                }
            }
        }
    }

    /** Autograd of the summed scores against the reference's own central differences (independent gradients). */
    @SuppressWarnings("unchecked")
    @Test
    void gradientsEqualCentralDifferencesOfTheNumpyReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            GemmaModel model = reference(m, DataType.FLOAT64, KernelMode.COMPOSED);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            for (var p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(batch, true).sum());
            }
            for (Map<String, Object> probe : (List<Map<String, Object>>) fixture.get("probes")) {
                String name = (String) probe.get("name");
                int index = ((Number) probe.get("index")).intValue();
                double expected = ((Number) probe.get("gradient")).doubleValue();
                double got = model.parameters().get(name).orElseThrow().array().getGradient().toDoubleArray()[index];
                assertEquals(expected, got, 1e-6 + 1e-5 * Math.abs(expected), name + "[" + index + "]");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void aLeftOrRightPaddedBatchEqualsEachRowAloneOnBothKernelPaths(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            GemmaModel model = reference(m, DataType.FLOAT32, kernels);
            for (boolean left : new boolean[] {true, false}) {
                float[] batched = model.forward(Batches.pad(rows(), 0, left, m), false).toFloatArray();
                for (int i = 0; i < rows().size(); i++) {
                    float alone = model.forward(Batches.pad(List.of(rows().get(i)), 0, left, m), false).toFloatArray()[0];
                    assertEquals(alone, batched[i], 2e-5, kernels + " left=" + left + " row " + i);
                }
            }
        }
    }

    /** The TorchScript kernels equal the composed reference: score and every parameter's gradient within 1e-5. */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (boolean left : new boolean[] {true, false}) {
                java.util.function.Function<NDManager, TokenBatch> batch = s -> Batches.pad(rows(), 0, left, s);
                double worst = KernelPaths.assertClose(
                        KernelPaths.outputAndGradients(reference(m, DataType.FLOAT32, KernelMode.COMPOSED), batch),
                        KernelPaths.outputAndGradients(reference(m, DataType.FLOAT32, KernelMode.TORCHSCRIPT), batch),
                        1e-5, false);
                System.out.printf("Gemma left=%s: TorchScript vs composed, worst difference %.3g%n", left, worst);
            }
        }
    }

    /** Autograd against central finite differences of this model itself, float64, on both kernel paths. */
    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void gradientsMatchFiniteDifferences(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            GemmaModel model = reference(m, DataType.FLOAT64, kernels);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                    "model.layers.0.mlp.gate_proj.weight", "model.layers.1.post_attention_layernorm.weight", "model.norm.weight")) {
                NDArray p = model.parameters().get(name).orElseThrow().array();
                FiniteDifferences.check(name, p, () -> model.forward(batch, false).sum(), FiniteDifferences.spread(p));
            }
        }
    }

    /** The score is logit(Yes) of the full vocabulary logits (tied output embedding) at the last real token. */
    @Test
    void theScoreIsTheYesColumnOfTheFullLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            GemmaModel model = reference(m, DataType.FLOAT32, KernelMode.AUTO);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            float[] scores = model.forward(batch, false).toFloatArray();
            NDArray logits = model.hiddenStates(batch, false).get(":, -1, :").matMul(model.outputEmbedding().transpose());
            for (int i = 0; i < scores.length; i++) {
                assertEquals(logits.getFloat(i, YES), scores[i], 1e-4);
            }
        }
    }

    /** An untied checkpoint reads lm_head; a tied one ignores a stray lm_head.weight. */
    @Test
    void untiedOutputEmbeddingIsRead() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT32);
            NDArray lmHead = m.create(Ops.normal(64 * 32, 0.3, 9), new Shape(64, 32));
            weights.put("lm_head.weight", lmHead);
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            float[] tied = model(config(), weights, KernelMode.AUTO, Precision.FP32).forward(batch, false).toFloatArray();
            Map<String, Object> untiedJson = config();
            untiedJson.put("tie_word_embeddings", false);
            GemmaModel untied = model(untiedJson, weights, KernelMode.AUTO, Precision.FP32);
            float[] scores = untied.forward(batch, false).toFloatArray();
            NDArray last = untied.hiddenStates(batch, false).get(":, -1, :");
            float[] expected = last.matMul(lmHead.get(YES).expandDims(1)).squeeze(1).toFloatArray();
            for (int i = 0; i < scores.length; i++) {
                assertEquals(expected[i], scores[i], 1e-4);
            }
            assertTrue(Math.abs(tied[0] - scores[0]) > 1e-3, "lm_head changes the score");
        }
    }

    @Test
    void normWeightsTakeNoWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (var p : reference(m, DataType.FLOAT32, KernelMode.AUTO).parameters().all()) {
                assertEquals(!p.name().endsWith("norm.weight"), p.decay(), p.name());
            }
        }
    }

    @Test
    void gemma2And3KeysAndBadConfigsAreRefusedByName() {
        for (String key : List.of("final_logit_softcapping", "attn_logit_softcapping", "sliding_window", "query_pre_attn_scalar")) {
            Map<String, Object> json = config();
            json.put(key, 30.0);
            UserException e = assertThrows(UserException.class, () -> GemmaConfig.parse(json, Path.of("/m/config.json")));
            assertEquals("/m/config.json: " + key + " 30.0 is not supported: that is a Gemma 2/3 feature; this plugin "
                    + "implements Gemma 1 (model_type gemma)", e.getMessage());
        }
        Map<String, Object> json = config();
        json.put("hidden_activation", "relu");
        UserException e = assertThrows(UserException.class, () -> GemmaConfig.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: hidden_activation 'relu' is not supported; supported: gelu_pytorch_tanh, gelu_new, gelu",
                e.getMessage());
        json.remove("hidden_activation");
        json.put("num_key_value_heads", 3);
        e = assertThrows(UserException.class, () -> GemmaConfig.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3", e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = referenceWeights(m, DataType.FLOAT32);
            weights.remove("model.norm.weight");
            UserException missing = assertThrows(UserException.class,
                    () -> model(config(), weights, KernelMode.AUTO, Precision.FP32));
            assertTrue(missing.getMessage().startsWith("tiny: the checkpoint lacks 1 gemma tensor(s): model.norm.weight"),
                    missing.getMessage());
        }
    }

    /** hidden_act gelu (gemma-2b's config) still means the tanh GELU, as transformers; hidden_activation gelu is exact. */
    @Test
    void hiddenActivationDecidesTheGelu() {
        Map<String, Object> json = config();
        assertEquals(false, GemmaConfig.parse(json, Path.of("c")).exactGelu());
        json.put("hidden_activation", "gelu_pytorch_tanh");
        assertEquals(false, GemmaConfig.parse(json, Path.of("c")).exactGelu());
        json.put("hidden_activation", "gelu");
        assertEquals(true, GemmaConfig.parse(json, Path.of("c")).exactGelu());
        try (NDManager m = NDManager.newBaseManager()) {
            TokenBatch batch = Batches.pad(rows(), 0, true, m);
            float[] tanh = reference(m, DataType.FLOAT32, KernelMode.AUTO).forward(batch, false).toFloatArray();
            float[] exact = model(json, referenceWeights(m, DataType.FLOAT32), KernelMode.AUTO, Precision.FP32).forward(batch, false)
                    .toFloatArray();
            assertTrue(Math.abs(tanh[0] - exact[0]) > 1e-7, "the two GELUs differ slightly");
            assertEquals(tanh[0], exact[0], 1e-2);
        }
    }
}
