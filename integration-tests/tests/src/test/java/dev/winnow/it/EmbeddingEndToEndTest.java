package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.data.Group;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.infer.EncoderScorer;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.run.EmbeddingStep;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import dev.winnow.embeddinglosses.CachedInfonceConfig;
import dev.winnow.embeddinglosses.CachedInfonceLoss;
import dev.winnow.embeddinglosses.InfonceConfig;
import dev.winnow.embeddinglosses.InfonceLoss;
import dev.winnow.templates.Qwen3EmbeddingTemplate;
import dev.winnow.templates.TextEmbeddingTemplate;
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
 * {@code task: embedding} end to end: a tiny BERT (text template, InfoNCE) and a tiny Qwen3 (qwen3-embedding
 * template, cached InfoNCE) train from a recipe, the loss goes down, the export carries the sentence-transformers
 * files, and {@link Embedder} on the export (prompts and closing token from those files) gives exactly the vectors
 * the recipe's template gives on the trained weights. GradCache gives infonce's loss and gradients.
 */
class EmbeddingEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @Test
    void aTinyBertTrainsAsABiEncoderAndItsExportLoadsWithTheSameVectors(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 64, pooling: cls}
                task: embedding
                template: {type: text, query_prompt: "query: "}
                data:
                  train: {path: %s, format: labelled_list}
                  eval: {path: %s, format: labelled_list}
                  group_size: 3
                  shortfall: shorter
                loss: {type: infonce, temperature: 0.05}
                train:
                  optimizer: {lr: 5.0e-3}
                  batch_size: 4
                  epochs: 10
                  logging_steps: 1
                  metric_for_best: retrieval_ndcg@10
                eval: {evaluators: [retrieval, {type: reranking, k: [1, 3]}, similarity]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, train, run));
        Runs.run(recipe);
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.7, "loss did not go down: " + Runs.losses(run));
        Map<?, ?> results = JSON.readValue(run.resolve("results.json").toFile(), Map.class);
        Map<?, ?> after = (Map<?, ?>) results.get("eval_after");
        Map<?, ?> before = (Map<?, ?>) results.get("eval_before");
        assertTrue(((Number) after.get("margin")).doubleValue() > ((Number) before.get("margin")).doubleValue(), after + " vs " + before);

        Path export = run.resolve("export");
        assertEquals(List.of("0", "1", "2"), JSON.readTree(export.resolve("modules.json").toFile()).findValuesAsText("name"));
        assertTrue(JSON.readTree(export.resolve("1_Pooling/config.json").toFile()).path("pooling_mode_cls_token").asBoolean());
        assertEquals("query: ", JSON.readTree(export.resolve("config_sentence_transformers.json").toFile()).path("prompts").path("query").asText());

        List<String> queries = List.of("tell me about the piano", "tell me about the comet");
        List<String> docs = List.of("yes indeed the piano answer is right here", "sadly unrelated filler about some comet");
        try (Embedder embedder = Embedder.load(export)) {
            float[][] q = embedder.encodeQueries(queries);
            float[][] d = embedder.encodeDocuments(docs);
            float[][][] reference = viaTemplate(export, new TextEmbeddingTemplate(new TextEmbeddingTemplate.Config("query: ", "",
                    "{instruction}{query}")), Task.EMBEDDING, "cls", queries, docs);
            assertVectors(reference[0], q);
            assertVectors(reference[1], d);
            float[][] truncated = embedder.truncated(8).encodeQueries(queries);
            assertEquals(8, truncated[0].length);
            assertEquals(1.0, norm(truncated[0]), 1e-5);
        }
    }

    /**
     * train.gradient_checkpointing through a recipe, composed with GradCache: Qwen3 has no dropout, so the checkpointed
     * run's loss curve equals the plain run's (the recomputation gives the same gradients).
     */
    @Test
    void gradientCheckpointingWithGradCacheGivesThePlainLossCurve(@TempDir Path dir) throws IOException {
        Path model = Qwen3EndToEndTest.tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        List<List<Double>> curves = new java.util.ArrayList<>();
        for (String ck : List.of("false", "true")) {
            Path run = dir.resolve("run-" + ck);
            Path recipe = dir.resolve("recipe-" + ck + ".yaml");
            Files.writeString(recipe, """
                    model: {source: %s, max_length: 64}
                    task: embedding
                    template: {type: qwen3-embedding, instruction: Find the answer}
                    data:
                      train: {path: %s, format: labelled_list}
                      group_size: 3
                      shortfall: shorter
                    loss: {type: cached_infonce, mini_batch_size: 5, temperature: 0.05}
                    train: {optimizer: {lr: 1.0e-2}, batch_size: 3, max_steps: 4, logging_steps: 1, gradient_checkpointing: %s}
                    devices: {devices: [cpu]}
                    output_dir: %s
                    """.formatted(model, train, ck, run));
            Runs.run(recipe);
            curves.add(Runs.losses(run));
        }
        assertEquals(4, curves.get(0).size());
        for (int i = 0; i < 4; i++) {
            assertEquals(curves.get(0).get(i), curves.get(1).get(i), 1e-5 * Math.abs(curves.get(0).get(i)), "step " + (i + 1));
        }
    }

    @Test
    void aTinyQwen3TrainsAsAnEmbeddingModelWithGradCacheAndItsExportEncodesAsTheTemplate(@TempDir Path dir) throws IOException {
        Path model = Qwen3EndToEndTest.tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path run = dir.resolve("run");
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 64}
                task: embedding
                template: {type: qwen3-embedding, instruction: Find the answer}
                data:
                  train: {path: %s, format: labelled_list}
                  group_size: 3
                  shortfall: shorter
                  split_ratio: 0.25
                loss: {type: cached_infonce, mini_batch_size: 5, temperature: 0.05, include_qq: true, include_dd: true}
                train:
                  optimizer: {lr: 1.0e-2}
                  batch_size: 3
                  epochs: 10
                  logging_steps: 1
                  metric_for_best: mean_pos_sim
                eval: {evaluators: [retrieval, similarity]}
                devices: {devices: [cpu]}
                output_dir: %s
                """.formatted(model, train, run));
        Runs.run(recipe);
        double[] fl = Runs.firstAndLast(Runs.losses(run), 3);
        assertTrue(fl[1] < fl[0] * 0.8, "loss did not go down: " + Runs.losses(run));

        Path export = run.resolve("export");
        assertTrue(JSON.readTree(export.resolve("1_Pooling/config.json").toFile()).path("pooling_mode_lasttoken").asBoolean());
        assertTrue(Files.readString(export.resolve("tokenizer.json")).contains("TemplateProcessing"));
        assertEquals("Instruct: Find the answer\nQuery:",
                JSON.readTree(export.resolve("config_sentence_transformers.json").toFile()).path("prompts").path("query").asText());
        List<String> queries = List.of("tell me about the piano", "tell me about the comet");
        List<String> docs = List.of("yes indeed the piano answer is right here", "sadly unrelated filler about some comet");
        try (Embedder embedder = Embedder.load(export)) {
            float[][] reference0 = viaTemplate(model, new Qwen3EmbeddingTemplate(new Qwen3EmbeddingTemplate.Config("Find the answer",
                    "<|endoftext|>")), Task.EMBEDDING, null, queries, docs)[0];
            float[][][] reference = viaTemplate(export, new Qwen3EmbeddingTemplate(new Qwen3EmbeddingTemplate.Config("Find the answer",
                    "<|endoftext|>")), Task.EMBEDDING, null, queries, docs);
            assertVectors(reference[0], embedder.encodeQueries(queries));
            assertVectors(reference[1], embedder.encodeDocuments(docs));
            assertTrue(Math.abs(reference0[0][0] - reference[0][0][0]) > 1e-6, "training changed the weights");
        }
    }

    @Test
    void gradCacheGivesInfoncesLossAndGradients(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        List<Group> groups = new ArrayList<>();
        String[] topics = {"volcano", "piano", "glacier", "satellite", "bakery"};
        for (int q = 0; q < topics.length; q++) {
            List<Candidate> c = new ArrayList<>();
            c.add(new Candidate("p", "the " + topics[q] + " answer", 1, null));
            for (int n = 0; n < q % 3; n++) { // 0, 1 or 2 negatives: rows of different widths
                c.add(new Candidate("n" + n, "filler text number " + n + " on " + topics[(q + 1) % 5], 0, null));
            }
            QueryRecord r = new QueryRecord("q" + q, "what about the " + topics[q], c, null, new RowOrigin("mem", q + 1));
            groups.add(new Group(r, c));
        }
        InfonceConfig options = new InfonceConfig(0.05, true, null, true, 0.1, true, true);
        float[][] plain = lossAndGradients(model, new InfonceLoss(options, 7), groups);
        float[][] cached = lossAndGradients(model, new CachedInfonceLoss(new CachedInfonceConfig(2, 0.05, true, null, true, 0.1, true,
                true), 7), groups);
        assertEquals(plain[0][0], cached[0][0], 1e-5, "loss");
        for (int i = 1; i < plain.length; i++) {
            float scale = 0;
            for (float v : plain[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertArrayEquals(plain[i], cached[i], 1e-4f * Math.max(scale, 1e-3f), "gradient " + i);
        }
    }

    /** With dropout, both passes of each chunk draw the same masks (the step checks it and would throw). */
    @Test
    void gradCacheReplaysTheSameDropoutMasks(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        Path config = model.resolve("config.json");
        Map<String, Object> c = JSON.readValue(config.toFile(), Map.class);
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        Files.writeString(config, JSON.writeValueAsString(c));
        List<Group> groups = new ArrayList<>();
        for (int q = 0; q < 6; q++) {
            List<Candidate> cands = List.of(new Candidate("p", "answer number " + q, 1, null), new Candidate("n", "filler " + q, 0, null));
            groups.add(new Group(new QueryRecord("q" + q, "question " + q, cands, null, new RowOrigin("mem", q + 1)), cands));
        }
        CachedInfonceLoss loss = new CachedInfonceLoss(new CachedInfonceConfig(3, 0.05, true, null, false, 0.1, false, false), 7);
        float[][] first = lossAndGradients(model, loss, groups);
        float[][] second = lossAndGradients(model, loss, groups);
        // dropout is live (two steps draw different masks), and each step's second pass replayed its first
        assertTrue(Math.abs(first[0][0] - second[0][0]) > 1e-6, first[0][0] + " vs " + second[0][0]);
    }

    /** The loss and every parameter's gradient after one backward through the step as the training loop runs it. */
    private static float[][] lossAndGradients(Path dir, EmbeddingLoss loss, List<Group> groups) {
        try (NDManager manager = NDManager.newBaseManager(); HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(ModelDirectory.of(dir), "auto",
                    ModelOptions.of(Task.EMBEDDING).withPooling("mean"), manager);
            for (Parameter p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            EmbeddingStep step = new EmbeddingStep(TextModel.of(model, tokenizer, 32), new TextEmbeddingTemplate(
                    new TextEmbeddingTemplate.Config("", "", "{instruction}{query}")), loss, new TruncationCounter());
            List<float[]> out = new ArrayList<>();
            try (NDManager scope = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                TrainLoop.StepLoss sl = step.loss(groups, scope);
                out.add(new float[] {sl.loss().getFloat()});
                if (sl.backward() != null) {
                    sl.backward().run(gc, 1f);
                } else {
                    gc.backward(sl.loss());
                }
            }
            for (Parameter p : model.parameters().all()) {
                out.add(p.array().getGradient().flatten().toFloatArray());
            }
            return out.toArray(new float[0][]);
        }
    }

    /** Vectors the way the runner makes them: the template's encodings through the model loaded from {@code dir}. */
    private static float[][][] viaTemplate(Path dir, dev.winnow.api.text.EmbeddingTemplate template, Task task, String pooling,
            List<String> queries, List<String> docs) {
        try (NDManager manager = NDManager.newBaseManager(); HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(ModelDirectory.of(dir), "auto",
                    ModelOptions.of(task).withPooling(pooling), manager);
            EncoderScorer scorer = new EncoderScorer(TextModel.of(model, tokenizer, 64), template, 8, manager);
            List<QueryRecord> records = new ArrayList<>();
            for (String q : queries) {
                records.add(new QueryRecord(q, q, List.of(), null, new RowOrigin("mem", 1)));
            }
            return new float[][][] {scorer.encodeQueries(records), scorer.encodeDocuments(docs)};
        }
    }

    private static void assertVectors(float[][] expected, float[][] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], 1e-5f, "vector " + i);
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
