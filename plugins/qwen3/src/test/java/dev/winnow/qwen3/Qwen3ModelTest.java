package dev.winnow.qwen3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.AnswerTokenIds;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.Ops;
import dev.winnow.nn.testing.KernelPaths;
import dev.winnow.core.text.Batches;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class Qwen3ModelTest {
    static final long YES = 7;
    static final long NO = 11;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** 2 layers, hidden 32, 4 heads over 2 key/value heads (GQA), head_dim 8, untied output embeddings. */
    static Map<String, Object> tinyConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "qwen3");
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        c.put("vocab_size", 64);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 48);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("head_dim", 8);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        c.put("hidden_act", "silu");
        return c;
    }

    public static Qwen3Model tiny(NDManager m, Task task, DataType type) {
        return tiny(m, task, type, KernelMode.AUTO, Precision.FP32);
    }

    public static Qwen3Model tiny(NDManager m, Task task, DataType type, KernelMode kernels, Precision precision) {
        Map<String, Object> json = tinyConfig();
        Qwen3Config c = Qwen3Config.parse(json, Path.of("config.json"));
        Map<String, NDArray> weights = new LinkedHashMap<>();
        int i = 0;
        for (String name : Qwen3Weights.names(c)) {
            Shape shape = new Shape(Qwen3Weights.shape(c, name));
            NDArray a = name.endsWith("norm.weight") || name.endsWith("layernorm.weight")
                    ? m.ones(shape).add(m.create(Ops.normal(shape.size(), 0.1, i), shape))
                    : m.create(Ops.normal(shape.size(), 0.3, 1000 + i), shape);
            weights.put(name, a.toType(type, false));
            i++;
        }
        return new Qwen3Model(c, json, weights, ModelOptions.of(task).withPooling("last")
                .withAnswerTokens(new AnswerTokenIds(YES, NO)).withKernels(kernels, precision), Path.of("tiny"));
    }

    public static final List<Encoded> INPUTS = List.of(
            new Encoded(new long[] {3, 14, 15, 9, 26}, new long[5], false),
            new Encoded(new long[] {5, 35}, new long[2], false),
            new Encoded(new long[] {8, 9, 7, 9, 3, 2, 38, 4}, new long[8], false));

    /** On both kernel paths. */
    @ParameterizedTest
    @EnumSource(value = KernelMode.class, names = {"COMPOSED", "TORCHSCRIPT"})
    void aLeftOrRightPaddedBatchEqualsEachInputAlone(KernelMode kernels) {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Task task : List.of(Task.GENERATIVE_RERANKER, Task.EMBEDDING)) {
                Qwen3Model model = tiny(m, task, DataType.FLOAT32, kernels, Precision.FP32);
                for (boolean left : new boolean[] {true, false}) {
                    float[] batched = model.forward(Batches.pad(INPUTS, 0, left, m), false).toFloatArray();
                    int width = batched.length / INPUTS.size();
                    for (int i = 0; i < INPUTS.size(); i++) {
                        float[] alone = model.forward(Batches.pad(List.of(INPUTS.get(i)), 0, left, m), false).toFloatArray();
                        for (int j = 0; j < width; j++) {
                            assertEquals(alone[j], batched[i * width + j], 2e-5, task + " left=" + left + " input " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * The whole model on the TorchScript kernels (RMSNorm, rotary embedding, grouped-query attention, SwiGLU, every
     * linear) equals the composed reference in fp32: output and the gradient of every parameter within 1e-5, with left
     * padding (rows whose causal and padding masks hide every key) and right padding.
     */
    @Test
    void torchScriptKernelsEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Task task : List.of(Task.GENERATIVE_RERANKER, Task.EMBEDDING)) {
                for (boolean left : new boolean[] {true, false}) {
                    java.util.function.Function<NDManager, TokenBatch> batch = s -> Batches.pad(INPUTS, 0, left, s);
                    double worst = KernelPaths.assertClose(
                            KernelPaths.outputAndGradients(tiny(m, task, DataType.FLOAT32, KernelMode.COMPOSED, Precision.FP32), batch),
                            KernelPaths.outputAndGradients(tiny(m, task, DataType.FLOAT32, KernelMode.TORCHSCRIPT, Precision.FP32), batch),
                            1e-5, false);
                    System.out.printf("Qwen3 %s left=%s: TorchScript vs composed, worst difference %.3g%n", task.id(), left, worst);
                }
            }
        }
    }

    /**
     * Inference on the TorchScript kernels runs each decoder layer as one fused module call (RMSNorms, products,
     * rotary, grouped-query SDPA, SwiGLU and residuals inside it); its output equals the composed reference within
     * 1e-5 of scale in fp32, for both tasks and both paddings.
     */
    @Test
    void fusedInferenceLayersEqualTheComposedReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Task task : List.of(Task.GENERATIVE_RERANKER, Task.EMBEDDING)) {
                for (boolean left : new boolean[] {true, false}) {
                    float[] composed = tiny(m, task, DataType.FLOAT32, KernelMode.COMPOSED, Precision.FP32)
                            .forward(Batches.pad(INPUTS, 0, left, m), false).toFloatArray();
                    float[] fused = tiny(m, task, DataType.FLOAT32, KernelMode.TORCHSCRIPT, Precision.FP32)
                            .forward(Batches.pad(INPUTS, 0, left, m), false).toFloatArray();
                    assertEquals(composed.length, fused.length);
                    double scale = 0;
                    double diff = 0;
                    for (int i = 0; i < composed.length; i++) {
                        scale = Math.max(scale, Math.abs(composed[i]));
                        diff = Math.max(diff, Math.abs(composed[i] - fused[i]));
                    }
                    System.out.printf("Qwen3 %s left=%s: fused vs composed, difference %.3g at scale %.3g%n", task.id(), left, diff, scale);
                    assertTrue(diff <= 1e-5 * Math.max(scale, 1.0), task + " left=" + left + ": " + diff);
                }
            }
        }
    }

    /**
     * bf16 and fp16 compute: the final hidden states of real tokens (what every head reads; padded positions are
     * masked everywhere and hold arbitrary values) stay within a scale-relative 3e-2 (bf16)
     * and 1e-2 (fp16) of fp32, as for BERT. The reranker score is a difference of two logits, so its error relative
     * to its own (smaller) scale is larger: 8e-2 for bf16 and 2e-2 for fp16.
     */
    @Test
    void reducedPrecisionForwardStaysNearFp32() {
        try (NDManager m = NDManager.newBaseManager()) {
            TokenBatch batch = Batches.pad(INPUTS, 0, true, m);
            Qwen3Model reference = tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32, KernelMode.TORCHSCRIPT, Precision.FP32);
            NDArray real = batch.attentionMask().toType(DataType.FLOAT32, false).expandDims(2);
            float[] hidden32 = reference.hiddenStates(batch).mul(real).toFloatArray();
            float[] score32 = reference.forward(batch, false).toFloatArray();
            for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                Qwen3Model low = tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32, KernelMode.TORCHSCRIPT, p);
                double hidden = relativeDifference(hidden32, low.hiddenStates(batch).mul(real).toFloatArray());
                double score = relativeDifference(score32, low.forward(batch, false).toFloatArray());
                System.out.printf("Qwen3 %s vs fp32: scale-relative difference, hidden states %.3g, scores %.3g%n", p, hidden, score);
                assertTrue(hidden > 0, p + " must actually compute in reduced precision");
                assertTrue(hidden <= (p == Precision.BF16 ? 3e-2 : 1e-2), p + " hidden states: " + hidden);
                assertTrue(score <= (p == Precision.BF16 ? 8e-2 : 2e-2), p + " scores: " + score);
            }
        }
    }

    static double relativeDifference(float[] reference, float[] got) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < reference.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            diff = Math.max(diff, Math.abs(reference[i] - got[i]));
        }
        return diff / scale;
    }

    /** The head's score equals logit(yes) - logit(no) of the full vocabulary logits at the last real token. */
    @Test
    void theHeadEqualsTheDifferenceOfTwoColumnsOfTheFullLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            TokenBatch batch = Batches.pad(INPUTS, 0, true, m);
            float[] scores = model.forward(batch, false).toFloatArray();
            NDArray hidden = model.hiddenStates(batch); // left padding: the last position is the last real token
            NDArray logits = hidden.get(":, -1, :").matMul(model.outputEmbedding().transpose()); // [B, vocab], the slow way
            for (int i = 0; i < INPUTS.size(); i++) {
                float expected = logits.getFloat(i, YES) - logits.getFloat(i, NO);
                assertEquals(expected, scores[i], 1e-4);
                // sigmoid(score) is the official softmax over [no, yes]
                double softmaxYes = Math.exp(logits.getFloat(i, YES)) / (Math.exp(logits.getFloat(i, YES)) + Math.exp(logits.getFloat(i, NO)));
                assertEquals(softmaxYes, 1 / (1 + Math.exp(-scores[i])), 1e-5);
            }
        }
    }

    @Test
    void laterTokensNeverChangeEarlierStates() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = tiny(m, Task.EMBEDDING, DataType.FLOAT32);
            NDArray a = model.hiddenStates(Batches.pad(List.of(new Encoded(new long[] {3, 4, 5, 6}, new long[4], false)), 0, false, m));
            NDArray b = model.hiddenStates(Batches.pad(List.of(new Encoded(new long[] {3, 4, 5, 60}, new long[4], false)), 0, false, m));
            float[] ea = a.get(":, :3, :").toFloatArray();
            float[] eb = b.get(":, :3, :").toFloatArray();
            for (int i = 0; i < ea.length; i++) {
                assertEquals(ea[i], eb[i], 1e-6);
            }
        }
    }

    /** Autograd against central finite differences, on a float64 model. */
    @Test
    void gradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT64);
            TokenBatch batch = Batches.pad(INPUTS, 0, true, m);
            for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_norm.weight",
                    "model.layers.0.mlp.gate_proj.weight", "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight")) {
                NDArray p = model.parameters().get(name).orElseThrow().array();
                int[] probes = name.equals("lm_head.weight") ? new int[] {(int) YES * 32 + 3, (int) NO * 32 + 5}
                        : dev.winnow.nn.testing.FiniteDifferences.spread(p);
                dev.winnow.nn.testing.FiniteDifferences.check(name, p, () -> model.forward(batch, false).sum(), probes);
            }
        }
    }

    @Test
    void configAndCheckpointMistakesNameTheKey() {
        Map<String, Object> json = tinyConfig();
        json.put("rope_scaling", Map.of("rope_type", "longrope", "factor", 4.0));
        UserException e = assertThrows(UserException.class, () -> Qwen3Config.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: rope_scaling type 'longrope' is not supported; supported: default, linear, dynamic, yarn", e.getMessage());
        json.remove("rope_scaling");
        json.put("use_sliding_window", true);
        e = assertThrows(UserException.class, () -> Qwen3Config.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: use_sliding_window true is not supported: sliding-window attention is not implemented; "
                + "set it to false", e.getMessage());
        json.remove("use_sliding_window");
        json.remove("num_hidden_layers");
        e = assertThrows(UserException.class, () -> Qwen3Config.parse(json, Path.of("/m/config.json")));
        assertEquals("/m/config.json: missing required key 'num_hidden_layers'", e.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Config c = Qwen3Config.parse(tinyConfig(), Path.of("config.json"));
            // an embedding model needs no lm_head: 24 of the 25 tensors
            UserException missing = assertThrows(UserException.class, () -> new Qwen3Model(c, tinyConfig(), Map.of(),
                    ModelOptions.of(Task.EMBEDDING), Path.of("/m")));
            assertEquals(true, missing.getMessage().startsWith("/m: the checkpoint lacks 24 qwen3 tensor(s): model.embed_tokens.weight"));
        }
    }

    /** The architecture decides weight decay: RMSNorm weights (q/k norms too) take none, matrices and embeddings do. */
    @Test
    void normWeightsTakeNoWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            for (var p : model.parameters().all()) {
                boolean norm = p.name().endsWith("norm.weight");
                assertEquals(!norm, p.decay(), p.name());
            }
            assertEquals(false, model.parameters().get("model.layers.0.self_attn.q_norm.weight").orElseThrow().decay());
            assertEquals(true, model.parameters().get("model.layers.0.mlp.up_proj.weight").orElseThrow().decay());
        }
    }

    /** attention_bias: q, k, v and o projections all carry a bias (transformers' Qwen3Attention), and each is used. */
    @Test
    void attentionBiasLoadsAndUsesAllFourProjectionBiases() {
        Map<String, Object> json = tinyConfig();
        json.put("attention_bias", true);
        Qwen3Config c = Qwen3Config.parse(json, Path.of("config.json"));
        List<String> names = Qwen3Weights.names(c);
        for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
            assertEquals(true, names.contains("model.layers.1.self_attn." + proj + ".bias"), proj);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            int i = 0;
            for (String name : names) {
                Shape shape = new Shape(Qwen3Weights.shape(c, name));
                weights.put(name, name.endsWith("norm.weight") ? m.ones(shape) : m.create(Ops.normal(shape.size(), 0.3, 1000 + i), shape));
                i++;
            }
            ModelOptions options = ModelOptions.of(Task.EMBEDDING).withPooling("last").withNormalize(false);
            TokenBatch batch = Batches.pad(INPUTS.subList(0, 1), 0, true, m);
            float[] before = new Qwen3Model(c, json, weights, options, Path.of("tiny")).forward(batch, false).toFloatArray();
            weights.put("model.layers.1.self_attn.o_proj.bias", weights.get("model.layers.1.self_attn.o_proj.bias").add(1f));
            float[] after = new Qwen3Model(c, json, weights, options, Path.of("tiny")).forward(batch, false).toFloatArray();
            double change = 0;
            for (int k = 0; k < before.length; k++) {
                change += Math.abs(after[k] - before[k]);
            }
            assertEquals(true, change > 1e-2, "o_proj.bias reaches the output, change " + change);
        }
    }

    /** Dynamic NTK rope: unchanged within max_position_embeddings, beyond it the same as a larger rope_theta. */
    @Test
    void dynamicRopeScalingRaisesTheBaseOnlyBeyondTheOriginalContext() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> plain = tinyConfig();
            plain.put("max_position_embeddings", 5);
            Map<String, Object> dynamic = new LinkedHashMap<>(plain);
            dynamic.put("rope_scaling", Map.of("rope_type", "dynamic", "factor", 2.0));
            double theta = 10000.0 * Math.pow(2.0 * 8 / 5 - 1, 8 / 6.0); // longest input: 8 real tokens, head_dim 8
            Map<String, Object> raised = new LinkedHashMap<>(plain);
            raised.put("rope_theta", theta);
            ModelOptions options = ModelOptions.of(Task.EMBEDDING).withPooling("last").withNormalize(false);
            TokenBatch shortBatch = Batches.pad(INPUTS.subList(0, 2), 0, true, m); // 5 and 2 tokens
            TokenBatch longBatch = Batches.pad(INPUTS, 0, true, m); // up to 8 tokens
            float[] shortPlain = withConfig(m, plain, options).forward(shortBatch, false).toFloatArray();
            float[] shortDynamic = withConfig(m, dynamic, options).forward(shortBatch, false).toFloatArray();
            float[] longPlain = withConfig(m, plain, options).forward(longBatch, false).toFloatArray();
            float[] longDynamic = withConfig(m, dynamic, options).forward(longBatch, false).toFloatArray();
            float[] longRaised = withConfig(m, raised, options).forward(longBatch, false).toFloatArray();
            double differs = 0;
            for (int k = 0; k < shortPlain.length; k++) {
                assertEquals(shortPlain[k], shortDynamic[k], 1e-6);
            }
            for (int k = 0; k < longPlain.length; k++) {
                assertEquals(longRaised[k], longDynamic[k], 1e-5);
                differs += Math.abs(longPlain[k] - longDynamic[k]);
            }
            assertEquals(true, differs > 1e-3, "beyond the context the base changes, difference " + differs);
        }
    }

    /** Qwen3-Embedding checkpoints come from the bare Qwen3Model: no "model." prefix, no lm_head even when untied. */
    @Test
    void embeddingCheckpointsWithoutTheModelPrefixOrAnOutputEmbeddingLoad() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> json = new LinkedHashMap<>(tinyConfig());
            json.put("tie_word_embeddings", false);
            Qwen3Config c = Qwen3Config.parse(json, Path.of("config.json"));
            Map<String, NDArray> prefixed = new LinkedHashMap<>();
            Map<String, NDArray> bare = new LinkedHashMap<>();
            int i = 0;
            for (String name : Qwen3Weights.names(c)) {
                Shape shape = new Shape(Qwen3Weights.shape(c, name));
                NDArray a = name.endsWith("norm.weight") ? m.ones(shape) : m.create(Ops.normal(shape.size(), 0.3, 1000 + i), shape);
                i++;
                prefixed.put(name, a);
                if (!name.equals("lm_head.weight")) {
                    bare.put(name.substring("model.".length()), a);
                }
            }
            ModelOptions embedding = ModelOptions.of(Task.EMBEDDING);
            float[] expected = new Qwen3Model(c, json, prefixed, embedding, Path.of("tiny")).forward(Batches.pad(INPUTS, 0, true, m), false)
                    .toFloatArray();
            Qwen3Model loaded = new Qwen3Model(c, json, bare, embedding, Path.of("tiny"));
            assertArrayEquals(expected, loaded.forward(Batches.pad(INPUTS, 0, true, m), false).toFloatArray(), 0f);
            assertEquals("last", loaded.pooling());
            // a reranker does need the output embedding
            UserException e = assertThrows(UserException.class, () -> new Qwen3Model(c, json, bare,
                    ModelOptions.of(Task.GENERATIVE_RERANKER).withNormalize(false).withAnswerTokens(new AnswerTokenIds(YES, NO)), Path.of("tiny")));
            assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
            UserException pooling = assertThrows(UserException.class, () -> new Qwen3Model(c, json, bare,
                    ModelOptions.of(Task.EMBEDDING).withPooling("mean"), Path.of("tiny")));
            assertTrue(pooling.getMessage().contains("valid: last"), pooling.getMessage());
        }
    }

    private static Qwen3Model withConfig(NDManager m, Map<String, Object> json, ModelOptions options) {
        Qwen3Config c = Qwen3Config.parse(json, Path.of("config.json"));
        Map<String, NDArray> weights = new LinkedHashMap<>();
        int i = 0;
        for (String name : Qwen3Weights.names(c)) {
            Shape shape = new Shape(Qwen3Weights.shape(c, name));
            weights.put(name, name.endsWith("norm.weight") ? m.ones(shape) : m.create(Ops.normal(shape.size(), 0.3, 1000 + i), shape));
            i++;
        }
        return new Qwen3Model(c, json, weights, options, Path.of("tiny"));
    }
}
