package dev.winnow.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.Ops;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainLoopTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @Test
    void adamWMatchesTorchByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1.0f, -2.0f});
            NDArray b = m.create(new float[] {1.0f});
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            // the model marks its bias as taking no decay (Parameter.decay)
            List<Parameter> params = List.of(new Parameter("layer.weight", w, true), new Parameter("layer.bias", b, true, false));
            AdamW opt = new AdamW(params, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            NDArray c = m.create(new float[] {0.5f, -1.0f});
            for (int step = 0; step < 2; step++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(w.mul(c).sum().add(b.mul(2f).sum()));
                }
                opt.step(0.1);
                opt.zeroGrad();
            }
            // step 1: m_hat = g, v_hat = g^2, update = g / (|g| + eps) ~ sign(g); decay first: p * (1 - lr * wd)
            //   w: 1 * 0.999 - 0.1 = 0.899 ; -2 * 0.999 + 0.1 = -1.898
            // step 2 (same gradient, m_hat = g again): 0.899 * 0.999 - 0.1 = 0.798101 ; -1.898 * 0.999 + 0.1 = -1.796102
            assertArrayEquals(new float[] {0.798101f, -1.796102f}, w.toFloatArray(), 1e-6f);
            // the bias is in the no-decay group: 1 - 0.1 - 0.1
            assertArrayEquals(new float[] {0.8f}, b.toFloatArray(), 1e-6f);
            assertEquals(2, opt.stepCount());
        }
    }

    @Test
    void schedulesFollowTheTransformersFormulas() {
        LrSchedule linear = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 10, 110, 0);
        assertEquals(0.0, linear.at(0));
        assertEquals(0.5, linear.at(5), 1e-12);
        assertEquals(1.0, linear.at(10), 1e-12);
        assertEquals(0.5, linear.at(60), 1e-12);
        assertEquals(0.0, linear.at(110), 1e-12);
        LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 0, 100, 0.1);
        assertEquals(2.0, cosine.at(0), 1e-12);
        // halfway: factor 0.5; with a 10% floor: 2 * (0.1 + 0.9 * 0.5)
        assertEquals(1.1, cosine.at(50), 1e-12);
        assertEquals(0.2, cosine.at(100), 1e-12);
        assertEquals(1.0, new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, 4, 100, 0).at(50));
        assertEquals(11, LrSchedule.warmup(0, 0.1, 101)); // ceil(10.1)
    }

    @Test
    void globalNormClippingScalesEveryGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f});
            NDArray b = m.create(new float[] {4f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(a.mul(3f).add(b.mul(4f)).sum()); // grads 3 and 4: norm 5
            }
            List<Parameter> ps = List.of(new Parameter("a", a, true), new Parameter("b", b, true));
            assertEquals(5.0, GradClipper.clip(ps, 1.0), 1e-6);
            assertEquals(0.6f, a.getGradient().getFloat(0), 1e-6f);
            assertEquals(0.8f, b.getGradient().getFloat(0), 1e-6f);
            assertEquals(1.0, GradClipper.clip(ps, 0), 1e-5); // 0 disables: returns the norm, scales nothing
        }
    }

    /** A tiny regression "model" with dropout, so that the engine's random stream matters too. */
    static final class Tiny {
        final NDManager manager = NDManager.newBaseManager();
        final ParameterSet params = new ParameterSet();
        final NDArray x;
        final NDArray y;

        Tiny() {
            params.add(new Parameter("layer.weight", manager.create(Ops.normal(8, 0.5, 1), new Shape(8, 1)), true));
            params.add(new Parameter("layer.bias", manager.zeros(new Shape(1)), true, false));
            Random r = new Random(5);
            float[] xs = new float[64 * 8];
            float[] ys = new float[64];
            for (int i = 0; i < 64; i++) {
                for (int j = 0; j < 8; j++) {
                    xs[i * 8 + j] = (float) r.nextGaussian();
                    ys[i] += xs[i * 8 + j] * (j - 3.5f) / 4;
                }
            }
            x = manager.create(xs, new Shape(64, 8));
            y = manager.create(ys, new Shape(64, 1));
        }

        TrainLoop.StepLoss loss(int[] rows, NDManager scope) {
            NDArray idx = scope.create(java.util.Arrays.stream(rows).asLongStream().toArray());
            NDArray xb = Ops.dropout(x.get(idx), 0.2, true);
            NDArray pred = Ops.linear(xb, params.get("layer.weight").get().array().transpose(), params.get("layer.bias").get().array());
            return new TrainLoop.StepLoss(pred.sub(y.get(idx)).square().mean(), rows.length, rows.length * 8L);
        }

        /** Shuffled batches of 8 rows, a function of (seed, epoch). */
        static List<int[]> epoch(int epoch) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, new Random(42L * 31 + epoch));
            List<int[]> out = new ArrayList<>();
            for (int i = 0; i < 64; i += 8) {
                out.add(order.subList(i, i + 8).stream().mapToInt(Integer::intValue).toArray());
            }
            return out;
        }
    }

    TrainOptions options(Path runDir, long total, int saveEvery) {
        return new TrainOptions(total, 2, 1.0, new LrSchedule(LrSchedule.Kind.LINEAR, 0.2, 2, total, 0),
                new AdamW.Options(0.01, 0.9, 0.999, 1e-8), 5, saveEvery, 3, 1, "score", true, 7, runDir);
    }

    TrainLoop.Result train(Path runDir, long total, int saveEvery, boolean resume) {
        return train(options(runDir, total, saveEvery), total, resume);
    }

    TrainLoop.Result train(TrainOptions options, long total, boolean resume) {
        Tiny t = new Tiny();
        try {
            TrainLoop<int[]> loop = new TrainLoop<>(options,
                    new Progress(new PrintStream(new ByteArrayOutputStream()), false, total, 0));
            return loop.run(t.params, Tiny::epoch, t::loss, () -> Map.of("score", (double) -t.params.get("layer.bias").get().array().abs().getFloat()), resume);
        } finally {
            t.manager.close();
        }
    }

    static TrainOptions scaled(TrainOptions o, double initialScale) {
        return new TrainOptions(o.totalSteps(), o.accumulation(), o.maxGradNorm(), o.schedule(), o.optimizer(), o.evalEvery(),
                o.saveEvery(), o.saveTotalLimit(), o.loggingSteps(), o.metricForBest(), o.greaterIsBetter(), o.seed(), o.runDir(),
                new LossScaler.Options(initialScale, 2, 0.5, 2000));
    }

    /** Scaling by a power of two that overflows nothing is exact: the loss curve is the unscaled one. */
    @Test
    void lossScalingWithoutOverflowChangesNothing(@TempDir Path dir) {
        List<Double> plain = train(dir.resolve("plain"), 12, 0, false).losses();
        List<Double> scaled = train(scaled(options(dir.resolve("scaled"), 12, 0), 65536), 12, false).losses();
        assertEquals(plain, scaled);
    }

    /**
     * A scale so large that the scaled gradients overflow float32 makes the loop skip steps and halve the scale
     * until they fit (as GradScaler does), counting the skips in metrics.jsonl, and training then proceeds.
     */
    @Test
    void lossScaleOverflowSkipsStepsHalvesTheScaleAndCountsThem(@TempDir Path dir) throws IOException {
        double initial = 0x1p127; // the scaled loss is finite, its gradients (up to ~10x the loss) are not
        TrainLoop.Result r = train(scaled(options(dir, 30, 0), initial), 30, false);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            Map<?, ?> row = new com.fasterxml.jackson.databind.ObjectMapper().readValue(line, Map.class);
            if (row.containsKey("loss")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) row;
                rows.add(typed);
            }
        }
        Map<String, Object> last = rows.get(rows.size() - 1);
        int skipped = ((Number) last.get("skipped_steps")).intValue();
        double scale = ((Number) last.get("loss_scale")).doubleValue();
        assertTrue(skipped >= 1 && skipped < 30, "skipped " + skipped);
        assertEquals(initial / Math.pow(2, skipped), scale, 0.0, "one halving per skipped step");
        assertTrue(r.losses().stream().allMatch(Double::isFinite));
        assertTrue(r.losses().get(29) < r.losses().get(0) * 0.8, r.losses().toString());
    }

    @Test
    void theSameSeedGivesTheSameLossCurveAndTheLossGoesDown(@TempDir Path dir) {
        List<Double> a = train(dir.resolve("a"), 12, 0, false).losses();
        List<Double> b = train(dir.resolve("b"), 12, 0, false).losses();
        assertEquals(a, b);
        assertEquals(12, a.size());
        assertTrue(a.get(11) < a.get(0) * 0.8, a.toString());
    }

    @Test
    void aResumedRunReproducesTheUninterruptedCurve(@TempDir Path dir) throws IOException {
        List<Double> full = train(dir.resolve("full"), 12, 0, false).losses();
        Path run = dir.resolve("resumed");
        train(run, 12, 4, false);
        // simulate an interruption: keep only the oldest checkpoint left (the rest as if never written)
        List<Path> left = Checkpoints.list(run);
        long from = Checkpoints.step(left.get(0));
        assertTrue(from < 12, left.toString());
        for (Path cp : left.subList(1, left.size())) {
            dev.winnow.core.io.FileTrees.deleteTree(cp);
        }
        TrainLoop.Result again = train(run, 12, 4, true);
        List<Double> resumed = again.losses();
        assertEquals(full, resumed);
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(12, lines.stream().filter(l -> l.contains("\"loss\"")).count(), "each step logged once: " + lines);
        assertTrue(ImageIO.read(run.resolve("training.png").toFile()).getWidth() > 0);
    }

    /** Three dropout layers run through the checkpointing seam (as models' layer loops do), then a linear head. */
    static final class Deep {
        final Tiny t = new Tiny();

        Deep() {
            for (int i = 0; i < 3; i++) {
                t.params.add(new Parameter("layers." + i + ".weight", t.manager.create(Ops.normal(64, 0.4, 10 + i), new Shape(8, 8)), true));
            }
        }

        TrainLoop.StepLoss loss(int[] rows, NDManager scope) {
            NDArray idx = scope.create(java.util.Arrays.stream(rows).asLongStream().toArray());
            NDArray h = dev.winnow.nn.Checkpointing.layers(3, t.x.get(idx), true, (i, in) ->
                    Ops.dropout(in.matMul(t.params.get("layers." + i + ".weight").get().array()).tanh().add(in), 0.2, true));
            NDArray pred = Ops.linear(h, t.params.get("layer.weight").get().array().transpose(), t.params.get("layer.bias").get().array());
            return new TrainLoop.StepLoss(pred.sub(t.y.get(idx)).square().mean(), rows.length, rows.length * 8L);
        }
    }

    TrainLoop.Result trainDeep(TrainOptions options, long total, boolean resume) {
        Deep d = new Deep();
        try {
            TrainLoop<int[]> loop = new TrainLoop<>(options, new Progress(new PrintStream(new ByteArrayOutputStream()), false, total, 0));
            return loop.run(d.t.params, Tiny::epoch, d::loss, () -> Map.of("score", 0.0), resume);
        } finally {
            d.t.manager.close();
        }
    }

    /** With train.gradient_checkpointing, an interrupted run resumes to the uninterrupted curve, which trains. */
    @Test
    void aCheckpointedRunResumesToTheUninterruptedCurve(@TempDir Path dir) throws IOException {
        List<Double> full = trainDeep(options(dir.resolve("full"), 12, 0).withCheckpointEvery(2), 12, false).losses();
        assertEquals(12, full.size());
        assertTrue(full.get(11) < full.get(0), full.toString());
        Path run = dir.resolve("resumed");
        trainDeep(options(run, 12, 4).withCheckpointEvery(2), 12, false);
        List<Path> left = Checkpoints.list(run);
        assertTrue(Checkpoints.step(left.get(0)) < 12, left.toString());
        for (Path cp : left.subList(1, left.size())) {
            dev.winnow.core.io.FileTrees.deleteTree(cp);
        }
        assertEquals(full, trainDeep(options(run, 12, 4).withCheckpointEvery(2), 12, true).losses());
    }

    /** Ctrl-C: a stop request saves a checkpoint at the next step boundary; resuming finishes the same curve. */
    @Test
    void aStopRequestSavesAndResumeFinishesTheSameCurve(@TempDir Path dir) {
        List<Double> full = train(dir.resolve("full"), 12, 0, false).losses();
        Path run = dir.resolve("stopped");
        Tiny t = new Tiny();
        TrainLoop.Result stopped;
        try {
            TrainLoop<int[]> loop = new TrainLoop<>(options(run, 12, 0), new Progress(new PrintStream(new ByteArrayOutputStream()), false, 12, 0));
            int[] calls = {0};
            stopped = loop.run(t.params, Tiny::epoch, (rows, scope) -> {
                if (++calls[0] == 7) {
                    loop.requestStop(); // as the shutdown hook does, in the middle of step 4
                }
                return t.loss(rows, scope);
            }, () -> Map.of("score", 0.0), false);
        } finally {
            t.manager.close();
        }
        assertTrue(stopped.interrupted());
        assertEquals(4, stopped.steps());
        assertEquals(4, Checkpoints.step(Checkpoints.latest(run).orElseThrow()));
        assertEquals(full, train(run, 12, 0, true).losses());
    }

    @Test
    void checkpointsAreAtomicAndPrunedKeepingTheBest(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        TrainLoop.Result r = train(run, 12, 2, false);
        List<Path> kept = Checkpoints.list(run);
        assertTrue(kept.size() <= 4, kept.toString()); // 3 newest + the best
        assertTrue(r.bestCheckpoint() != null && Files.isDirectory(r.bestCheckpoint()), String.valueOf(r.bestCheckpoint()));
        // a writer killed mid-checkpoint leaves a temporary directory, never a complete-looking checkpoint-N
        Path partial = run.resolve(".checkpoint-14.tmp-999");
        Files.createDirectories(partial);
        Files.writeString(partial.resolve("model.safetensors"), "half");
        Path noMarker = run.resolve("checkpoint-16");
        Files.createDirectories(noMarker);
        assertEquals(12, Checkpoints.step(Checkpoints.latest(run).orElseThrow()));
        assertFalse(Files.exists(partial));
        assertFalse(Files.exists(noMarker));
        // a failing write (an unwritable run directory) leaves nothing that looks complete either
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "a file where a directory should be");
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(RuntimeException.class, () -> Checkpoints.write(blocked, 1, Map.of("w", m.ones(new Shape(2))), Map.of(), Map.of()));
        }
        assertTrue(Checkpoints.list(blocked).isEmpty());
    }
}
