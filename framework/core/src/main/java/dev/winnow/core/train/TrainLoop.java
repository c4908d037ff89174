package dev.winnow.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.winnow.nn.Checkpointing;
import dev.winnow.api.UserException;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.nn.weights.SafetensorsReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The training loop: micro-batches, autograd, accumulation, clipping, AdamW, schedule, logging, evaluation,
 * atomic checkpoints and exact resume.
 *
 * <p>Determinism: the data order is a function of (seed, epoch); the engine's random generator (dropout) is
 * reseeded from (seed, step, micro-batch) before every micro-batch. A run resumed from a checkpoint therefore
 * continues with exactly the same batches, dropout masks, weights and optimizer moments, and reproduces the loss
 * curve of an uninterrupted run.
 *
 * @param <B> a micro-batch, as the data side prepares it
 */
public final class TrainLoop<B> {
    /** The micro-batches of each epoch, deterministic for the run's seed. */
    @FunctionalInterface
    public interface EpochPlan<B> {
        List<B> epoch(int epoch);
    }

    /**
     * A micro-batch's loss (a scalar, averaged over the micro-batch) and its size for throughput. A loss function
     * that back-propagates in pieces itself (gradient caching) supplies {@code backward}; the loop then calls it
     * instead of back-propagating {@code loss}.
     */
    public record StepLoss(NDArray loss, long examples, long tokens, @Nullable Backward backward) {
        public StepLoss(NDArray loss, long examples, long tokens) {
            this(loss, examples, tokens, null);
        }
    }

    /** Back-propagates {@code scale * loss} into the parameters' gradients through {@code collector}. */
    @FunctionalInterface
    public interface Backward {
        void run(GradientCollector collector, float scale);
    }

    /** Forward pass and loss of one micro-batch; arrays created under {@code scope} are freed after the step. */
    @FunctionalInterface
    public interface LossFunction<B> {
        StepLoss loss(B batch, NDManager scope);
    }

    /** Evaluation metrics of the current weights. */
    @FunctionalInterface
    public interface Evaluation {
        Map<String, Double> evaluate();
    }

    /**
     * Replicas that compute each micro-batch together (data parallel): the loop sums their gradients after the
     * micro-batches of a step and before clipping, and lets them refresh from the updated weights after every step
     * (and once before the first, after any resume).
     */
    public interface Replication {
        void reduceGradients();

        void synchronize(long step);
    }

    /** What a run did. */
    public record Result(long steps, List<Double> losses, @Nullable Path bestCheckpoint, @Nullable Double bestMetric,
            Map<String, Double> lastEval, boolean interrupted, double examplesPerSecond, double tokensPerSecond,
            double seconds) {}

    private final TrainOptions options;
    private final Progress progress;
    private final MetricsLog metrics;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private @Nullable Replication replication;

    public TrainLoop(TrainOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
        this.metrics = new MetricsLog(options.runDir().resolve("metrics.jsonl"));
    }

    /** Asks the loop to save a checkpoint at the next step boundary and return (Ctrl-C). */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** Waits (at most {@code seconds}) until a requested stop has saved its checkpoint. */
    public boolean awaitStopped(long seconds) throws InterruptedException {
        return stopped.await(seconds, TimeUnit.SECONDS);
    }

    /** Trains replicas together (data parallel); the parameters given to {@link #run} are the first replica's. */
    public TrainLoop<B> replicated(Replication replication) {
        this.replication = replication;
        return this;
    }

    public MetricsLog metrics() {
        return metrics;
    }

    public Result run(ParameterSet parameters, EpochPlan<B> plan, LossFunction<B> lossFunction, Evaluation evaluation,
            boolean resume) {
        try {
            return doRun(parameters, plan, lossFunction, evaluation, resume);
        } finally {
            stopped.countDown();
        }
    }

    private Result doRun(ParameterSet parameters, EpochPlan<B> plan, LossFunction<B> lossFunction, Evaluation evaluation,
            boolean resume) {
        List<Parameter> trainable = new ArrayList<>(parameters.trainable());
        for (Parameter p : trainable) {
            p.array().setRequiresGradient(true);
        }
        NDManager stateManager = NDManager.newBaseManager(trainable.isEmpty() ? null : trainable.get(0).array().getDevice());
        try {
            AdamW optimizer = new AdamW(trainable, options.optimizer(), stateManager);
            LossScaler scaler = options.lossScaling() == null ? null : new LossScaler(options.lossScaling());
            long step = 0;
            int epoch = 0;
            int index = 0;
            Path best = null;
            Double bestMetric = null;
            List<Double> losses = new ArrayList<>();
            Optional<Path> latest = resume ? Checkpoints.latest(options.runDir()) : Optional.empty();
            if (resume && latest.isEmpty()) {
                progress.line("resume: no complete checkpoint in " + options.runDir() + "; starting from step 0");
            }
            if (latest.isPresent()) {
                Map<String, Object> state = Checkpoints.state(latest.get());
                restore(parameters, optimizer, latest.get(), stateManager, ((Number) state.get("optimizer_step")).longValue());
                step = ((Number) state.get("step")).longValue();
                epoch = ((Number) state.get("epoch")).intValue();
                index = ((Number) state.get("index")).intValue();
                best = state.get("best_checkpoint") == null ? null : options.runDir().resolve((String) state.get("best_checkpoint"));
                bestMetric = state.get("best_metric") instanceof Number n ? n.doubleValue() : null;
                @SuppressWarnings("unchecked")
                List<Number> history = (List<Number>) state.getOrDefault("losses", List.of());
                history.forEach(l -> losses.add(l.doubleValue()));
                if (scaler != null && state.get("loss_scale") instanceof Number scale) {
                    scaler.restore(scale.doubleValue(), ((Number) state.getOrDefault("loss_scale_good_steps", 0)).intValue());
                }
                metrics.loadExisting(step);
                progress.line("resumed from " + latest.get() + " at step " + step);
            } else {
                Checkpoints.cleanInterrupted(options.runDir());
            }
            if (replication != null) {
                replication.synchronize(step);
            }
            List<B> batches = plan.epoch(epoch);
            long startNanos = System.nanoTime();
            long examples = 0;
            long tokens = 0;
            long firstStep = step;
            Map<String, Double> lastEval = Map.of();
            Path lastSaved = null;
            boolean interrupted = false;
            double windowLoss = 0;
            int windowSteps = 0;
            int skipped = 0;
            int skippedInARow = 0;
            while (step < options.totalSteps()) {
                double stepLoss = 0;
                boolean nonFinite = false;
                for (int micro = 0; micro < options.accumulation(); micro++) {
                    if (index >= batches.size()) {
                        epoch++;
                        index = 0;
                        batches = plan.epoch(epoch);
                        if (batches.isEmpty()) {
                            throw new UserException("the training data yields no batch (epoch " + epoch + ")");
                        }
                    }
                    B batch = batches.get(index++);
                    Engine.getInstance().setRandomSeed((int) (options.seed() * 1_000_003L + step * 131L + micro));
                    try (NDScope scope = new NDScope(); NDManager local = stateManager.newSubManager();
                            Checkpointing.@Nullable Session ck = options.checkpointEvery() > 0
                                    ? Checkpointing.open(options.checkpointEvery(), true) : null) {
                        scope.suppressNotUsedWarning();
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            StepLoss sl = lossFunction.loss(batch, local);
                            float value = sl.loss().getFloat();
                            if (!Float.isFinite(value)) {
                                nonFinite = true; // no backward: this micro-batch adds nothing to the step
                            } else {
                                float scale = (scaler == null ? 1f : (float) scaler.scale()) / options.accumulation();
                                if (sl.backward() != null) {
                                    sl.backward().run(gc, scale);
                                } else {
                                    dev.winnow.nn.Checkpointing.backward(gc, dev.winnow.nn.Ops.mul(sl.loss(), scale));
                                }
                                stepLoss += value / options.accumulation();
                            }
                            examples += sl.examples();
                            tokens += sl.tokens();
                        }
                    }
                }
                if (replication != null) {
                    replication.reduceGradients();
                }
                double scaleUsed = scaler == null ? 1 : scaler.scale();
                if (scaler != null && !nonFinite) {
                    scaler.unscale(trainable); // clipping and the update see the true gradients
                }
                double gradNorm = nonFinite ? Double.NaN : GradClipper.clip(trainable, options.maxGradNorm());
                double lr = options.schedule().at(step);
                // fp16: gradients that overflowed at a large loss scale are expected; the scale halves and the step
                // is skipped, as GradScaler does. Only an overflow at a scale below 1 is a real divergence.
                boolean overflow = scaler != null && !nonFinite && !scaler.update(Double.isFinite(gradNorm));
                if (Double.isFinite(gradNorm)) {
                    optimizer.step(lr);
                    skippedInARow = 0;
                } else if (overflow && scaleUsed >= 1) {
                    skipped++;
                    progress.line(String.format(java.util.Locale.ROOT, "step %d: fp16 gradients overflowed at loss scale %.0f;"
                            + " update skipped, scale now %.0f (%d skipped so far)", step + 1, scaleUsed, scaler.scale(), skipped));
                } else {
                    // a non-finite loss or gradient would poison the weights: skip this update (counted in metrics)
                    skipped++;
                    if (++skippedInARow >= 10) {
                        throw new IllegalStateException("10 optimizer steps in a row had a non-finite loss or gradient (up to step "
                                + (step + 1) + "); lower train.optimizer.lr, raise train.max_grad_norm clipping, or check the data");
                    }
                    progress.line("warning: step " + (step + 1) + " had a non-finite loss or gradient; its update was skipped ("
                            + skipped + " so far)");
                }
                optimizer.zeroGrad();
                step++;
                if (replication != null) {
                    replication.synchronize(step);
                }
                losses.add(stepLoss);
                windowLoss += stepLoss;
                windowSteps++;
                double seconds = (System.nanoTime() - startNanos) / 1e9;
                boolean logNow = step % options.loggingSteps() == 0 || step == options.totalSteps();
                progress.step(step, stepLoss, lr, examples / Math.max(seconds, 1e-9), logNow);
                if (logNow) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    row.put("epoch", epoch);
                    row.put("loss", windowLoss / windowSteps);
                    row.put("lr", lr);
                    row.put("grad_norm", Double.isFinite(gradNorm) ? gradNorm : null);
                    row.put("skipped_steps", skipped);
                    if (scaler != null) {
                        row.put("loss_scale", scaler.scale());
                    }
                    row.put("examples_per_s", examples / Math.max(seconds, 1e-9));
                    row.put("tokens_per_s", tokens / Math.max(seconds, 1e-9));
                    row.put("elapsed_s", seconds);
                    metrics.append(row);
                    windowLoss = 0;
                    windowSteps = 0;
                }
                boolean last = step == options.totalSteps();
                boolean evalNow = last || (options.evalEvery() > 0 && step % options.evalEvery() == 0);
                boolean newBest = false;
                if (evalNow) {
                    lastEval = evaluation.evaluate();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    lastEval.forEach((k, v) -> row.put("eval_" + k, v));
                    metrics.append(row);
                    Double m = lastEval.get(options.metricForBest());
                    if (m != null && (bestMetric == null || (options.greaterIsBetter() ? m > bestMetric : m < bestMetric))) {
                        bestMetric = m;
                        newBest = true;
                    }
                    progress.line("step " + step + " eval: " + format(lastEval));
                    LossPlot.write(metrics.rows(), options.metricForBest(), options.runDir().resolve("training.png"));
                }
                boolean stop = stopRequested.get();
                boolean saveNow = last || stop || newBest || (options.saveEvery() > 0 && step % options.saveEvery() == 0);
                if (saveNow) {
                    Path cp = options.runDir().resolve("checkpoint-" + step);
                    if (newBest) {
                        best = cp;
                    }
                    lastSaved = save(parameters, optimizer, scaler, step, epoch, index, best, bestMetric, losses);
                    Checkpoints.prune(options.runDir(), options.saveTotalLimit(), Optional.ofNullable(best));
                }
                if (stop && !last) {
                    progress.line("stopped at step " + step + "; checkpoint " + lastSaved + "; continue with: runner resume "
                            + options.runDir());
                    interrupted = true;
                    break;
                }
            }
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            return new Result(step - firstStep == 0 ? step : step, losses, best, bestMetric, lastEval, interrupted,
                    examples / Math.max(seconds, 1e-9), tokens / Math.max(seconds, 1e-9), seconds);
        } finally {
            stateManager.close();
        }
    }

    private Path save(ParameterSet parameters, AdamW optimizer, @Nullable LossScaler scaler, long step, int epoch, int index, @Nullable Path best,
            @Nullable Double bestMetric, List<Double> losses) {
        Map<String, NDArray> model = new LinkedHashMap<>();
        parameters.all().forEach(p -> model.put(p.name(), p.array()));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("epoch", epoch);
        state.put("index", index);
        state.put("optimizer_step", optimizer.stepCount());
        state.put("seed", options.seed());
        state.put("best_checkpoint", best == null ? null : best.getFileName().toString());
        state.put("best_metric", bestMetric);
        state.put("metric_for_best", options.metricForBest());
        state.put("losses", losses);
        if (scaler != null) {
            state.put("loss_scale", scaler.scale());
            state.put("loss_scale_good_steps", scaler.goodSteps());
        }
        return Checkpoints.write(options.runDir(), step, model, optimizer.state(), state);
    }

    /** Loads a checkpoint's weights into the parameters (in place) and its moments into the optimizer. */
    public static void restore(ParameterSet parameters, @Nullable AdamW optimizer, Path checkpoint, NDManager manager, long optimizerStep) {
        try (NDManager tmp = manager.newSubManager()) {
            try (SafetensorsReader r = SafetensorsReader.open(checkpoint.resolve("model.safetensors"))) {
                Map<String, NDArray> weights = r.loadAll(tmp);
                boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                try {
                    for (Parameter p : parameters.all()) {
                        NDArray w = weights.get(p.name());
                        if (w == null) {
                            throw new IllegalStateException(checkpoint + " has no weight " + p.name());
                        }
                        p.array().set(w.toFloatArray());
                    }
                } finally {
                    ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
                }
            }
            if (optimizer != null) {
                try (SafetensorsReader r = SafetensorsReader.open(checkpoint.resolve("optimizer.safetensors"))) {
                    optimizer.load(r.loadAll(tmp), optimizerStep);
                }
            }
        }
    }

    static String format(Map<String, Double> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k).append(' ').append(String.format(java.util.Locale.ROOT, "%.4f", v)).append("  "));
        return sb.toString().trim();
    }
}
