package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.nn.Ops;
import dev.winnow.core.testing.TestResources;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import dev.winnow.rankingeval.RerankingEvaluator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe end to end on a tiny seeded BERT with the real MiniLM tokenizer, trained with the third-party hinge
 * loss: the loss goes down, the export is a Hugging Face cross-encoder, and it reloads to the same model.
 */
class EndToEndRerankerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** A 2-layer BERT with hidden size 32 and MiniLM's vocabulary, seeded random weights. */
    static Path tinyBert(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("vocab_size", 30522);
        c.put("hidden_size", 32);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 2);
        c.put("intermediate_size", 64);
        c.put("max_position_embeddings", 128);
        c.put("type_vocab_size", 2);
        c.put("hidden_act", "gelu");
        c.put("layer_norm_eps", 1e-12);
        c.put("hidden_dropout_prob", 0.0);
        c.put("attention_probs_dropout_prob", 0.0);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
        Files.copy(TestResources.miniLmTokenizerDir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new Shape(30522, 32));
        shapes.put("embeddings.position_embeddings.weight", new Shape(128, 32));
        shapes.put("embeddings.token_type_embeddings.weight", new Shape(2, 32));
        shapes.put("embeddings.LayerNorm.weight", new Shape(32));
        shapes.put("embeddings.LayerNorm.bias", new Shape(32));
        for (int i = 0; i < 2; i++) {
            String p = "encoder.layer." + i + ".";
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                shapes.put(p + s + ".weight", new Shape(32, 32));
                shapes.put(p + s + ".bias", new Shape(32));
            }
            shapes.put(p + "intermediate.dense.weight", new Shape(64, 32));
            shapes.put(p + "intermediate.dense.bias", new Shape(64));
            shapes.put(p + "output.dense.weight", new Shape(32, 64));
            shapes.put(p + "output.dense.bias", new Shape(32));
            for (String s : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                shapes.put(p + s + ".weight", new Shape(32));
                shapes.put(p + s + ".bias", new Shape(32));
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            int i = 0;
            for (var e : shapes.entrySet()) {
                w.put(e.getKey(), e.getKey().endsWith("LayerNorm.weight") ? m.ones(e.getValue())
                        : m.create(Ops.normal(e.getValue().size(), 0.3, 100 + i++), e.getValue()));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    /** A fixed dataset with a signal a tiny model learns in a few steps: positives are worded as answers. */
    static Path data(Path file) throws IOException {
        String[] topics = {"volcano", "piano", "glacier", "satellite", "bakery", "tennis", "orchid", "submarine", "desert", "violin",
            "comet", "harbor"};
        List<String> lines = new ArrayList<>();
        for (int q = 0; q < topics.length; q++) {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (int d = 0; d < 5; d++) {
                String topic = topics[(q + d) % topics.length];
                String text = d == 0 ? "yes indeed the " + topic + " answer is right here" : "sadly unrelated filler about some " + topic;
                docs.add(Map.of("id", "d" + d, "text", text, "label", d == 0 ? 1 : 0));
            }
            java.util.Collections.rotate(docs, q % 5);
            lines.add(JSON.writeValueAsString(Map.of("qid", "q" + q, "query", "tell me about the " + topics[q], "docs", docs)));
        }
        Files.write(file, lines);
        return file;
    }

    /**
     * train.precision bf16 and fp16 through a recipe: the model computes on the TorchScript kernels in that precision,
     * the loss goes down, and fp16 logs its loss scale and skipped steps.
     */
    @Test
    void bf16AndFp16RecipesTrainOnTheTorchScriptKernels(@TempDir Path dir) throws IOException {
        Path model = tinyBert(dir.resolve("tiny-bert"));
        Path train = data(dir.resolve("train.jsonl"));
        for (String precision : List.of("bf16", "fp16")) {
            Path run = dir.resolve("run-" + precision);
            Path recipe = dir.resolve(precision + ".yaml");
            Files.writeString(recipe, """
                    model: {source: %s, max_length: 32}
                    task: reranker
                    kernels: auto
                    data:
                      train: {path: %s, format: labelled_list}
                      group_size: 4
                    train:
                      precision: %s
                      optimizer: {lr: 1.0e-2}
                      batch_size: 4
                      epochs: 8
                      logging_steps: 1
                      seed: 11
                    eval: {before_training: false}
                    export: {enabled: false}
                    devices: {devices: [cpu]}
                    output_dir: %s
                    """.formatted(model, train, precision, run));
            String log = Runs.run(recipe);
            assertTrue(log.contains("kernels torchscript-" + precision), log);
            double[] fl = Runs.firstAndLast(Runs.losses(run), 4);
            assertTrue(fl[1] < fl[0] * 0.7, precision + ": loss did not go down: " + Runs.losses(run));
            String metrics = Files.readString(run.resolve("metrics.jsonl"));
            assertTrue(metrics.contains("\"skipped_steps\""), metrics);
            assertEquals(precision.equals("fp16"), metrics.contains("\"loss_scale\""), metrics);
        }
    }

    @Test
    void aThirdPartyLossTrainsATinyBertWhoseExportReloadsToTheSameModel(@TempDir Path dir) throws IOException {
        Path model = tinyBert(dir.resolve("tiny-bert"));
        Path train = data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 32}
                task: reranker
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 4
                loss: {type: pairwise_hinge, margin: 1.0}
                train:
                  optimizer: {lr: 1.0e-2}
                  batch_size: 4
                  epochs: 10
                  eval_steps: 6
                  logging_steps: 1
                  seed: 11
                  metric_for_best: mrr@3
                eval: {evaluators: [{type: reranking, k: [1, 3]}]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, run));
        Runs.run(recipe);

        // the loss goes down
        List<Double> losses = Runs.losses(run);
        double[] fl = Runs.firstAndLast(losses, 4);
        double first = fl[0];
        double last = fl[1];
        assertTrue(last < first * 0.7, "loss did not go down: " + losses);

        // the export is a Hugging Face cross-encoder holding the final checkpoint's weights, bit for bit
        Path export = run.resolve("export");
        Map<?, ?> config = JSON.readValue(export.resolve("config.json").toFile(), Map.class);
        assertEquals(List.of("BertForSequenceClassification"), config.get("architectures"));
        assertTrue(Files.isRegularFile(export.resolve("tokenizer.json")) && Files.isRegularFile(export.resolve("README.md")));
        Map<?, ?> results = JSON.readValue(run.resolve("results.json").toFile(), Map.class);
        Path best = Path.of((String) results.get("best_checkpoint"));
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader exported = SafetensorsReader.open(export);
                SafetensorsReader checkpoint = SafetensorsReader.open(best.resolve("model.safetensors"))) {
            assertEquals(checkpoint.names(), exported.names());
            for (String name : checkpoint.names()) {
                assertArrayEquals(checkpoint.load(name, m).toFloatArray(), exported.load(name, m).toFloatArray(), 0f, name);
            }
        }
        // reloading the export reproduces the run's final evaluation
        Map<?, ?> after = (Map<?, ?>) results.get("eval_after");
        try (CrossEncoder ce = CrossEncoder.builder(export.toString()).optMaxLength(32).optDevice("cpu").build()) {
            List<QueryRecord> records = new ArrayList<>();
            for (String line : Files.readAllLines(train)) {
                Map<?, ?> row = JSON.readValue(line, Map.class);
                List<Candidate> cands = new ArrayList<>();
                for (Object o : (List<?>) row.get("docs")) {
                    Map<?, ?> d = (Map<?, ?>) o;
                    cands.add(new Candidate((String) d.get("id"), (String) d.get("text"), ((Number) d.get("label")).doubleValue(), null));
                }
                records.add(new QueryRecord((String) row.get("qid"), (String) row.get("query"), cands, null, new RowOrigin("t", 1)));
            }
            var metrics = new RerankingEvaluator(new RerankingEvaluator.Config(List.of(1, 3), dev.winnow.api.eval.TieBreak.DOC_ID, true))
                    .evaluate(records, ce.scorer()).metrics();
            assertEquals(((Number) after.get("mrr@3")).doubleValue(), metrics.get("mrr@3"), 1e-9);
            assertEquals(((Number) after.get("map")).doubleValue(), metrics.get("map"), 1e-9);
            assertTrue(metrics.get("mrr@3") > 0.8, metrics.toString());
            float[] a = ce.predict(List.of(new TextPair("tell me about the piano", "yes indeed the piano answer is right here")));
            float[] b = ce.predict(List.of(new TextPair("tell me about the piano", "yes indeed the piano answer is right here")));
            assertArrayEquals(a, b, 0f);
        }
    }
}
