package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.weights.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code devices.strategy: data_parallel} with two replicas on the CPU: the same global micro-batch split in two gives
 * the single-device run's losses and weights (the loss is taken over the gathered outputs, so in-batch negatives of an
 * embedding loss cross the replicas; the gradients are summed before clipping and the update), and checkpoints move
 * between the two strategies.
 */
class DataParallelTest {
    static final String ONE = "{devices: [cpu]}";
    static final String TWO = "{devices: [cpu, cpu], strategy: data_parallel}";

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static String rerankerRecipe(Path model, Path train, String devices, Path run, int steps, int saveSteps) {
        return """
                model: {source: %s, max_length: 32}
                task: reranker
                data:
                  train: {path: %s, format: labelled_list}
                  group_size: 4
                loss: {type: listwise_ce}
                train: {optimizer: {lr: 1.0e-2}, batch_size: 5, max_steps: %d, save_steps: %d, logging_steps: 1, max_grad_norm: 0.5, seed: 7}
                eval: {before_training: false}
                export: {enabled: false}
                devices: %s
                output_dir: %s
                """.formatted(model, train, steps, saveSteps, devices, run);
    }

    static String embeddingRecipe(Path model, Path train, String loss, String devices, Path run) {
        return """
                model: {source: %s, max_length: 64}
                task: embedding
                template: {type: qwen3-embedding, instruction: Find the answer}
                data:
                  train: {path: %s, format: labelled_list}
                  group_size: 3
                  shortfall: shorter
                loss: %s
                train: {optimizer: {lr: 1.0e-2}, batch_size: 4, max_steps: 5, logging_steps: 1, seed: 3}
                eval: {before_training: false}
                export: {enabled: false}
                devices: %s
                output_dir: %s
                """.formatted(model, train, loss, devices, run);
    }

    @Test
    void twoReplicasOfACrossEncoderReproduceOneDevice(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        Path one = dir.resolve("one");
        Path two = dir.resolve("two");
        Files.writeString(dir.resolve("one.yaml"), rerankerRecipe(model, train, ONE, one, 5, 0));
        Files.writeString(dir.resolve("two.yaml"), rerankerRecipe(model, train, TWO, two, 5, 0));
        Runs.run(dir.resolve("one.yaml"));
        String log = Runs.run(dir.resolve("two.yaml"));
        assertTrue(log.contains("data_parallel: 2 replicas on [cpu(), cpu()]"), log);
        assertSame(one, two, 5);
    }

    /** Four queries per step, two per replica: InfoNCE over the gathered batch gives each query six in-batch negatives. */
    @Test
    void twoReplicasOfAnEmbeddingModelSeeEachOthersNegatives(@TempDir Path dir) throws IOException {
        Path model = Qwen3EndToEndTest.tinyQwen3(dir.resolve("tiny-qwen3"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        for (String loss : List.of("{type: infonce, temperature: 0.05}", "{type: cached_infonce, mini_batch_size: 3, temperature: 0.05}")) {
            String name = loss.contains("cached") ? "cached" : "plain";
            Path one = dir.resolve(name + "-one");
            Path two = dir.resolve(name + "-two");
            Files.writeString(dir.resolve(name + "-one.yaml"), embeddingRecipe(model, train, loss, ONE, one));
            Files.writeString(dir.resolve(name + "-two.yaml"), embeddingRecipe(model, train, loss, TWO, two));
            Runs.run(dir.resolve(name + "-one.yaml"));
            String log = Runs.run(dir.resolve(name + "-two.yaml"));
            assertTrue(log.contains("data_parallel: 2 replicas"), log);
            saveLast(one, two);
            assertSame(one, two, 5);
        }
    }

    /** A data-parallel run's checkpoint resumes on one device, and a one-device run's resumes on two replicas. */
    @Test
    void checkpointsResumeAcrossStrategies(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        Path train = EndToEndRerankerTest.data(dir.resolve("train.jsonl"));
        for (String[] from : List.of(new String[] {TWO, ONE}, new String[] {ONE, TWO})) {
            String tag = from[0] == TWO ? "dp-to-one" : "one-to-dp";
            Path whole = dir.resolve(tag + "-whole");
            Path resumed = dir.resolve(tag + "-resumed");
            Files.writeString(dir.resolve(tag + "-whole.yaml"), rerankerRecipe(model, train, from[0], whole, 6, 3));
            Runs.run(dir.resolve(tag + "-whole.yaml"));
            // the interrupted run: the same run's state at step 3, continued with the other strategy
            Files.createDirectories(resumed);
            copyTree(whole.resolve("checkpoint-3"), resumed.resolve("checkpoint-3"));
            Files.copy(whole.resolve("metrics.jsonl"), resumed.resolve("metrics.jsonl"));
            Files.writeString(dir.resolve(tag + "-resumed.yaml"), rerankerRecipe(model, train, from[1], resumed, 6, 3));
            String log = Runs.run(dir.resolve(tag + "-resumed.yaml"), "train.resume=true");
            assertTrue(log.contains("resumed from") && log.contains("at step 3"), log);
            assertEquals(from[1] == TWO, log.contains("data_parallel: 2 replicas"), log);
            assertSame(whole, resumed, 6);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    /** Embedding runs without save_steps write their last checkpoint only: nothing to add. */
    private static void saveLast(Path one, Path two) {
        assertTrue(Files.isDirectory(one.resolve("checkpoint-5")) && Files.isDirectory(two.resolve("checkpoint-5")));
    }

    /**
     * Equal loss curves (within 1e-5 of each loss) and equal weights at {@code step} (within 1e-5 of the weights'
     * scale, their largest magnitude).
     */
    static void assertSame(Path expectedRun, Path actualRun, int step) throws IOException {
        List<Double> expected = Runs.losses(expectedRun);
        List<Double> actual = Runs.losses(actualRun);
        assertEquals(step, expected.size(), expected.toString());
        assertEquals(expected.size(), actual.size(), actual.toString());
        assertTrue(Math.abs(expected.get(0) - expected.get(step - 1)) > 1e-4, "the run trained: " + expected);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), 1e-5 * Math.max(1e-3, Math.abs(expected.get(i))), "loss at step " + (i + 1));
        }
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsReader a = SafetensorsReader.open(expectedRun.resolve("checkpoint-" + step).resolve("model.safetensors"));
                SafetensorsReader b = SafetensorsReader.open(actualRun.resolve("checkpoint-" + step).resolve("model.safetensors"))) {
            Map<String, NDArray> wa = a.loadAll(m);
            Map<String, NDArray> wb = b.loadAll(m);
            assertEquals(wa.keySet(), wb.keySet());
            double scale = 0;
            for (NDArray w : wa.values()) {
                scale = Math.max(scale, w.abs().max().getFloat());
            }
            for (var e : wa.entrySet()) {
                if (e.getKey().endsWith("attention.self.key.bias") || e.getKey().equals("classifier.bias")) {
                    // the loss is invariant to these: softmax over keys to the key bias, listwise softmax over a
                    // group's scores to the classifier bias. Their exact gradient is 0, what reaches them is rounding
                    // noise, and AdamW's normalised step turns that noise into lr-sized moves of either sign, which
                    // any two summation orders (one device or two) make differently. Nothing to compare.
                    continue;
                }
                float[] x = e.getValue().toFloatArray();
                float[] y = wb.get(e.getKey()).toFloatArray();
                double diff = 0;
                for (int i = 0; i < x.length; i++) {
                    diff = Math.max(diff, Math.abs(x[i] - y[i]));
                }
                assertTrue(diff <= 1e-5 * scale, e.getKey() + ": weights differ by " + diff + " (scale " + scale + ")");
            }
        }
    }
}
