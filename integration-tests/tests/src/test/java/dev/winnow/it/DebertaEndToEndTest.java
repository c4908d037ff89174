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
 * recipes/deberta-v3-base-reranker.yaml itself (open-retrievals' settings, mean-pooling head) trains a tiny seeded
 * DeBERTa-v3 (the real architecture: shared keys, log-bucketed c2p/p2c attention, rel-embedding LayerNorm; DeBERTa-v3's
 * vocabulary and special-token ids, the plugin's SentencePiece-kind tokenizer.json) with only the model, data, output
 * learning rate and step count (10 steps: the tiny model learns in that many, and CPU time is shared) overridden; the export reloads with the trained checkpoint's tensors and scores. LoRA with the
 * ContextPooler head exports a PEFT adapter that reloads with the trained scores too.
 */
class DebertaEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path RECIPE = RecipesValidateTest.ROOT.resolve("recipes/deberta-v3-base-reranker.yaml");
    static final List<TextPair> PAIRS = List.of(
            new TextPair("tell me about the piano", "yes indeed the piano answer is right here"),
            new TextPair("tell me about the piano", "sadly unrelated filler about some piano"),
            new TextPair("tell me about the violin", "yes indeed the violin answer is right here"));

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static Path tinyDeberta(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tok = RecipesValidateTest.ROOT.resolve("plugins/deberta/src/test/resources/deberta/tokenizer");
        Files.copy(tok.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        int vocab = 128100;
        int h = 16;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "deberta-v2");
        c.put("vocab_size", vocab);
        c.put("hidden_size", h);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 2);
        c.put("max_position_embeddings", 512);
        c.put("relative_attention", true);
        c.put("position_buckets", 256);
        c.put("max_relative_positions", -1);
        c.put("norm_rel_ebd", "layer_norm");
        c.put("share_att_key", true);
        c.put("pos_att_type", "p2c|c2p");
        c.put("position_biased_input", false);
        c.put("type_vocab_size", 0);
        c.put("layer_norm_eps", 1e-7);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("deberta.embeddings.word_embeddings.weight", new long[] {vocab, h});
        shapes.put("deberta.embeddings.LayerNorm.weight", new long[] {h});
        shapes.put("deberta.embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < 2; i++) {
            String p = "deberta.encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query_proj", "attention.self.key_proj", "attention.self.value_proj",
                    "attention.output.dense")) {
                shapes.put(p + m + ".weight", new long[] {h, h});
                shapes.put(p + m + ".bias", new long[] {h});
            }
            shapes.put(p + "intermediate.dense.weight", new long[] {64, h});
            shapes.put(p + "intermediate.dense.bias", new long[] {64});
            shapes.put(p + "output.dense.weight", new long[] {h, 64});
            shapes.put(p + "output.dense.bias", new long[] {h});
            for (String n : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                shapes.put(p + n + ".weight", new long[] {h});
                shapes.put(p + n + ".bias", new long[] {h});
            }
        }
        shapes.put("deberta.encoder.rel_embeddings.weight", new long[] {512, h}); // 2 x position_buckets
        shapes.put("deberta.encoder.LayerNorm.weight", new long[] {h});
        shapes.put("deberta.encoder.LayerNorm.bias", new long[] {h});
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            int i = 0;
            for (var e : shapes.entrySet()) {
                Shape s = new Shape(e.getValue());
                w.put(e.getKey(), e.getKey().endsWith("LayerNorm.weight") ? m.ones(s)
                        : e.getKey().endsWith(".bias") ? m.zeros(s) : m.create(Ops.normal(s.size(), 0.1, 900 + i++), s));
            }
            // a pre-training checkpoint's extras, which the reranker drops
            w.put("lm_predictions.lm_head.bias", m.zeros(new Shape(vocab)));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    static String[] overrides(Path model, Path train, Path run, String... more) {
        List<String> out = new java.util.ArrayList<>(List.of("model.source=" + model, "data.train.path=" + train,
                "data.eval.path=" + train, "output_dir=" + run, "train.optimizer.lr=5.0e-3", "train.logging_steps=1", "train.max_steps=10",
                "eval.evaluators=[{type: reranking, k: [1, 3]}]", "train.metric_for_best=mrr@3", "devices.devices=[cpu]"));
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }

    @Test
    void theRecipeTrainsATinyDebertaAndItsExportReloadsWithTheCheckpointsScores(@TempDir Path dir) throws IOException {
        Path model = tinyDeberta(dir.resolve("tiny-deberta"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Runs.run(RECIPE, overrides(model, train, run));
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.9, "loss did not go down: " + Runs.losses(run));
        Map<?, ?> resolved = new org.yaml.snakeyaml.Yaml().load(Files.readString(run.resolve("recipe.resolved.yaml")));
        Map<?, ?> trainSection = (Map<?, ?>) resolved.get("train");
        assertEquals(3, trainSection.get("epochs"));
        assertEquals(4, trainSection.get("batch_size"));
        Path export = run.resolve("export");
        Map<?, ?> config = JSON.readValue(export.resolve("config.json").toFile(), Map.class);
        assertEquals(List.of("DebertaV2Model"), config.get("architectures"));
        assertEquals("mean", config.get("pooling_method"));
        Path best = Path.of((String) JSON.readValue(run.resolve("results.json").toFile(), Map.class).get("best_checkpoint"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader exported = SafetensorsReader.open(export);
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"))) {
            assertEquals(checkpoint.names(), exported.names());
            assertTrue(exported.names().contains("classifier.weight") && !exported.names().contains("pooler.dense.weight"),
                    exported.names().toString());
            for (String name : checkpoint.names()) {
                assertArrayEquals(checkpoint.load(name, m).toFloatArray(), exported.load(name, m).toFloatArray(), 0f, name);
            }
        }
        float[] fromExport;
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(128).optDevice("cpu").build()) {
            assertEquals("deberta-v2", ce.model().architecture());
            fromExport = ce.predict(PAIRS);
            assertTrue(fromExport[0] > fromExport[1], "trained preference: " + fromExport[0] + " vs " + fromExport[1]);
        }
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(128).optDevice("cpu").build()) {
            for (int i = 0; i < PAIRS.size(); i++) {
                assertEquals(fromExport[i], ce.predict(List.of(PAIRS.get(i)))[0], 1e-5, "pair " + i + " alone");
            }
        }
        System.out.printf("DeBERTa recipe: loss %.4f -> %.4f, export scores %s%n", fl[0], fl[1], java.util.Arrays.toString(fromExport));
    }

    @Test
    void loraWithTheContextPoolerExportsAPeftAdapterThatReloads(@TempDir Path dir) throws IOException {
        Path model = tinyDeberta(dir.resolve("tiny-deberta"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Runs.run(RECIPE, overrides(model, train, run, "model.options.head=context_pooler", "train.type=lora", "train.lora_rank=8",
                "train.lora_alpha=16", "train.target_modules=[query_proj, key_proj, value_proj]", "train.optimizer.lr=1.0e-2",
                "export.merge_lora=false"));
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.95, "loss did not go down: " + Runs.losses(run));
        Path export = run.resolve("export");
        Map<?, ?> config = JSON.readValue(export.resolve("config.json").toFile(), Map.class);
        assertEquals(List.of("DebertaV2ForSequenceClassification"), config.get("architectures"));
        Map<?, ?> adapterConfig = JSON.readValue(export.resolve("adapter/adapter_config.json").toFile(), Map.class);
        assertEquals("LORA", adapterConfig.get("peft_type"));
        assertEquals(List.of("key_proj", "query_proj", "value_proj"), adapterConfig.get("target_modules"));
        float[] base;
        try (CrossEncoder ce = CrossEncoder.builder(model.toString()).optMaxLength(128).optDevice("cpu").build()) {
            base = ce.predict(PAIRS);
        }
        float[] unmerged;
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(128).optDevice("cpu").build()) {
            unmerged = ce.predict(PAIRS);
        }
        assertTrue(Math.abs(unmerged[0] - base[0]) > 1e-4, "training changes the scores");
        try (CrossEncoder ce = CrossEncoder.builder(export.resolve("adapter").toString()).optMaxLength(128).optDevice("cpu").build()) {
            assertArrayEquals(unmerged, ce.predict(PAIRS), 1e-5f, "the PEFT adapter reloads with the trained scores");
        }
    }
}
