package dev.winnow.core.run;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.UserException;
import dev.winnow.api.config.ComponentRef;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.export.EmbeddingExport;
import dev.winnow.api.export.ExportRequest;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.GradCachedLoss;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.Epoch;
import dev.winnow.core.data.Group;
import dev.winnow.core.data.Grouper;
import dev.winnow.core.data.GroupingOptions;
import dev.winnow.core.data.Splitter;
import dev.winnow.core.eval.MetricTable;
import dev.winnow.core.infer.EncoderScorer;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.io.FileTrees;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.annotate.RecipeTeacher;
import dev.winnow.core.mine.RecipeMining;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.recipe.RecipeWriter;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.AdamW;
import dev.winnow.core.train.Checkpoints;
import dev.winnow.core.train.LossScaler;
import dev.winnow.core.train.LrSchedule;
import dev.winnow.core.train.Progress;
import dev.winnow.core.train.TrainLoop;
import dev.winnow.core.train.TrainOptions;
import dev.winnow.nn.LoraTarget;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.kernels.Kernels;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The parts of a run that every task shares, each one step of the lifecycle the task runs ({@link RerankerRun},
 * {@link GenerativeRerankerRun}, {@link EmbeddingRun}) call in order: {@link #prepare} (run directory, resolved
 * recipe, memory estimate, seed, data, evaluators, model directory and tokenizer), {@link #loadModel},
 * {@link #evaluateBefore}, {@link #trainable} and {@link #train}, {@link #evaluateAfter}, {@link #export} and
 * {@link #finish}. A task's run decides what differs: its template, loss, scorer, training step and export facts.
 */
final class RunSetup implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A run's evaluation on its eval and test data (either may be empty). */
    record Evaluations(Map<String, Double> eval, Map<String, Double> test) {
        static final Evaluations NONE = new Evaluations(Map.of(), Map.of());
    }

    /** What training updates: every parameter, or the LoRA adapters and the task head. */
    record Trainable(ParameterSet parameters, @Nullable Lora lora) {}

    final LoadedRecipe loaded;
    final Recipe recipe;
    /** The recipe's template, or the architecture's when it names none. */
    final ComponentSpec<dev.winnow.api.text.PromptTemplate> template;
    final ComponentRegistry registry;
    final PrintStream out;
    final Path runDir;
    final Device device;
    final long seed;
    final Components components;
    final List<QueryRecord> trainRecords;
    final List<QueryRecord> evalRecords;
    final List<QueryRecord> testRecords;
    final List<Evaluator> evaluators;
    final ModelDirectory directory;
    final HfTokenizer tokenizer;
    final TruncationCounter truncation = new TruncationCounter();
    private final long start;
    /** devices.strategy data_parallel: the replicas on the other devices, once {@link #replicate} built them. */
    private dev.winnow.core.parallel.@Nullable DataParallel dataParallel;

    private RunSetup(LoadedRecipe loaded, ComponentRegistry registry, PrintStream out, Path runDir, Device device, long seed,
            Components components, List<QueryRecord> train, List<QueryRecord> eval, List<QueryRecord> test,
            List<Evaluator> evaluators, ModelDirectory directory, HfTokenizer tokenizer, long start) {
        this.loaded = loaded;
        this.recipe = loaded.recipe();
        this.template = recipe.requireTemplate();
        this.registry = registry;
        this.out = out;
        this.runDir = runDir;
        this.device = device;
        this.seed = seed;
        this.components = components;
        this.trainRecords = train;
        this.evalRecords = eval;
        this.testRecords = test;
        this.evaluators = evaluators;
        this.directory = directory;
        this.tokenizer = tokenizer;
        this.start = start;
    }

    /**
     * Setup: the run directory and its resolved recipe, the memory estimate (a run that cannot fit stops here, before
     * anything loads), the seed, the data (read first: a data mistake should surface before minutes of model
     * loading; {@code data.mine} applied after any split, then {@code data.teacher}), the evaluators, the model directory and its tokenizer.
     */
    static RunSetup prepare(LoadedRecipe loaded, ComponentRegistry registry, PrintStream out, String version) {
        long start = System.nanoTime();
        Recipe recipe = loaded.recipe();
        Path runDir = Path.of(recipe.outputDir());
        WinnowEngine.start();
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UserException("output_dir " + runDir + " cannot be created: " + e.getMessage());
        }
        Device device = WinnowEngine.device(recipe.devices().devices().get(0));
        checkMemory(recipe, registry, device, out);
        long seed = recipe.train().seed();
        Engine.getInstance().setRandomSeed((int) seed);
        Components components = new Components(registry, seed, Path.of("."));
        List<Evaluator> evaluators = recipe.eval().evaluators().stream().map(components::create).toList();

        Dataset train = read(components, recipe.data().train(), recipe.data().trainingReadOptions(), out, "train data");
        List<QueryRecord> trainRecords = train.records();
        List<QueryRecord> evalRecords = List.of();
        if (recipe.data().eval() != null) {
            evalRecords = read(components, recipe.data().eval(), recipe.data().evaluationReadOptions(), out, null).records();
        } else if (recipe.data().splitRatio() > 0) {
            Splitter.Split split = Splitter.split(trainRecords, recipe.data().splitRatio(), seed);
            trainRecords = split.train();
            evalRecords = split.eval();
            out.println("split_ratio " + recipe.data().splitRatio() + ": " + evalRecords.size() + " queries held out for evaluation");
        }
        trainRecords = RecipeMining.apply(recipe, trainRecords, out);
        trainRecords = RecipeTeacher.apply(recipe, trainRecords, out);
        List<QueryRecord> testRecords = recipe.data().test() == null ? List.of()
                : read(components, recipe.data().test(), recipe.data().evaluationReadOptions(), out, null).records();
        if (recipe.eval().maxQueries() != null) {
            evalRecords = evalRecords.subList(0, Math.min(evalRecords.size(), recipe.eval().maxQueries()));
        }
        ModelDirectory directory = ModelDirectory.locate(recipe.model().source(), recipe.model().revision());
        // a Hub model's architecture is known once it is here: bind model.options and, if the recipe named none, its template
        loaded = loaded.withArchitecture(new ModelLoader(registry).architecture(directory, recipe.model().type()), registry);
        RecipeWriter.write(loaded, version, runDir.resolve("recipe.resolved.yaml"));
        HfTokenizer tokenizer = HfTokenizer.load(directory.tokenizerDir());
        return new RunSetup(loaded, registry, out, runDir, device, seed, components, trainRecords, evalRecords, testRecords,
                evaluators, directory, tokenizer, start);
    }

    /** Builds a component the recipe names. */
    <T> T create(ComponentRef<T> ref) {
        return components.create(ref);
    }

    /** The model options every task starts from: the recipe's model section, seed, kernels and precision. */
    ModelOptions modelOptions() {
        return ModelOptions.of(recipe.task())
                .withPooling(recipe.model().pooling())
                .withNormalize(recipe.model().normalize())
                .withNumLabels(recipe.model().numLabels())
                .withSeed(seed)
                .withArchitectureOptions(loaded.boundModelOptions())
                .withKernels(recipe.kernels(), recipe.train().precision());
    }

    /**
     * Loads the model on the run's device. A source that carries an unmerged LoRA adapter is merged first: training
     * (and the export) work on plain weights.
     */
    TextModel loadModel(ModelOptions options, NDManager manager) {
        WinnowModel model = new ModelLoader(registry).load(directory, recipe.model().type(), options, manager);
        if (directory.adapter() != null && model instanceof LoraTarget adapted) {
            adapted.linears().merge();
            out.println("model.source carries an unmerged LoRA adapter (" + directory.adapter() + "): merged into the weights before training");
        }
        TextModel text = TextModel.of(model, tokenizer, recipe.model().maxLength());
        out.println("model: " + model.architecture() + " " + recipe.task().id() + ", " + model.parameters().elementCount()
                + " parameters, max_length " + text.maxLength() + ", device " + device + ", kernels " + Kernels.forModel(options));
        return text;
    }

    /**
     * {@code devices.strategy: data_parallel} over several devices: the model to train with, whose forward splits each
     * micro-batch across replicas of {@code model} (loaded with {@code options} and given the same adapters as
     * {@code trainable} on every other device); otherwise {@code model} itself. Evaluation, checkpoints and the export
     * keep using {@code model}.
     */
    TextModel replicate(TextModel model, ModelOptions options, Trainable trainable) {
        if (recipe.devices().strategy() != Recipe.Strategy.DATA_PARALLEL) {
            return model;
        }
        List<Device> devices = dev.winnow.core.parallel.DeviceList.resolve(recipe.devices().devices());
        if (devices.size() < 2) {
            out.println("data_parallel: one device (" + devices.get(0) + "), so one replica");
            return model;
        }
        dataParallel = dev.winnow.core.parallel.DataParallel.create(model.model(), trainable.parameters(), devices,
                recipe.devices().checkEvery(), d -> {
                    NDManager m = NDManager.newBaseManager(d);
                    WinnowModel w = new ModelLoader(registry).load(directory, recipe.model().type(), options, m);
                    if (directory.adapter() != null && w instanceof LoraTarget adapted) {
                        adapted.linears().merge();
                    }
                    return new dev.winnow.core.parallel.DataParallel.Replica(w, trainable(w, m).parameters(), m);
                });
        out.println("data_parallel: " + devices.size() + " replicas on " + devices + ", each micro-batch of "
                + recipe.train().batchSize() + " groups split across them");
        return new TextModel(dataParallel.model(), model.tokenizer(), model.maxLength());
    }

    /** Evaluation before training (unless {@code eval.before_training: false}); checks metric_for_best is reported. */
    Evaluations evaluateBefore(Scorer scorer) {
        if (!recipe.eval().beforeTraining()) {
            return Evaluations.NONE;
        }
        Evaluations before = new Evaluations(evaluate(evalRecords, scorer), evaluate(testRecords, scorer));
        if (!before.eval().isEmpty()) {
            out.println("before training, eval: " + brief(before.eval()));
            if (!before.eval().containsKey(recipe.train().metricForBest())) {
                throw new UserException(loaded.position("train.metric_for_best") + ": train.metric_for_best '"
                        + recipe.train().metricForBest() + "' is not reported by the evaluators; they report: "
                        + String.join(", ", before.eval().keySet()));
            }
        }
        return before;
    }

    /** Every evaluator over {@code records}; evaluators of an embedding model share one encoding per text. */
    Map<String, Double> evaluate(List<QueryRecord> records, Scorer scorer) {
        if (records.isEmpty()) {
            return Map.of();
        }
        if (scorer instanceof EncoderScorer encoder) {
            return encoder.sharingVectors(() -> evaluateEach(records, scorer));
        }
        return evaluateEach(records, scorer);
    }

    private Map<String, Double> evaluateEach(List<QueryRecord> records, Scorer scorer) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Evaluator e : evaluators) {
            metrics.putAll(e.evaluate(records, scorer).metrics());
        }
        return metrics;
    }

    /** Full fine-tuning trains every parameter; {@code train.type: lora} attaches adapters and trains them and the head. */
    Trainable trainable(WinnowModel model, NDManager manager) {
        if (recipe.train().type() != Recipe.TrainType.LORA) {
            return new Trainable(model.parameters(), null);
        }
        var t = recipe.train();
        int rank = t.loraRank() == null ? 8 : t.loraRank();
        Lora lora = Lora.apply(model, new Lora.Config(rank, t.loraAlpha() == null ? 32 : t.loraAlpha(),
                t.loraDropout() == null ? 0.05 : t.loraDropout(), t.targetModules() == null ? List.of("all-linear") : t.targetModules(),
                seed), manager);
        long trainable = lora.parameters().trainable().stream().mapToLong(p -> p.array().size()).sum();
        long all = model.parameters().elementCount();
        out.printf(Locale.ROOT, "LoRA: rank %d on %d layers, %d trainable parameters (%.2f%% of %d)%n", rank,
                lora.adapters().size(), trainable, 100.0 * trainable / all, all);
        return new Trainable(lora.parameters(), lora);
    }

    /**
     * Training: groups of {@code grouping} in micro-batches of {@code train.batch_size}, the schedule over the steps
     * they give, checkpoints, evaluation every {@code eval_steps} (the baseline starts the eval curve), Ctrl-C that
     * saves, resume.
     */
    TrainLoop.Result train(Trainable trainable, GroupingOptions grouping, TrainLoop.LossFunction<List<Group>> step, Scorer scorer,
            Evaluations before) {
        GroupPlan plan = new GroupPlan(new Grouper(trainRecords, grouping, seed), recipe.train().batchSize());
        int perEpoch = plan.epoch(0).size();
        if (perEpoch == 0) {
            throw new UserException(recipe.data().train().path() + ": no training group could be formed (queries need "
                    + "a positive" + (grouping.groupSize() > 1 ? " and negatives" : "") + ")");
        }
        Recipe.TrainSection t = recipe.train();
        long stepsPerEpoch = Math.max(1, perEpoch / t.gradientAccumulationSteps());
        long total = t.maxSteps() > 0 ? t.maxSteps() : stepsPerEpoch * t.epochs();
        var sched = t.schedule();
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.valueOf(sched.type().name()), t.optimizer().lr(),
                LrSchedule.warmup(sched.warmupSteps(), sched.warmupRatio(), total), total, sched.minLrRatio());
        var opt = t.optimizer();
        TrainOptions options = new TrainOptions(total, t.gradientAccumulationSteps(), t.maxGradNorm(), schedule,
                new AdamW.Options(opt.weightDecay(), opt.betas().get(0), opt.betas().get(1), opt.eps()),
                t.evalSteps(), t.saveSteps(), t.saveTotalLimit(), t.loggingSteps(), t.metricForBest(), t.greaterIsBetter(), seed,
                runDir, t.precision() == Precision.FP16 ? LossScaler.Options.defaults() : null,
                t.gradientCheckpointing() ? t.gradientCheckpointingEvery() : 0);
        out.println("training: " + trainRecords.size() + " queries, " + perEpoch + " micro-batches of " + t.batchSize()
                + " groups per epoch, " + total + " optimizer steps");
        if (!t.resume()) {
            startFresh();
        }
        TrainLoop<List<Group>> loop = new TrainLoop<>(options, new Progress(out, Progress.isTerminal(), total, 0));
        if (dataParallel != null) {
            loop.replicated(dataParallel);
        }
        if (!t.resume() && !before.eval().isEmpty()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("step", 0);
            before.eval().forEach((k, v) -> row.put("eval_" + k, v));
            loop.metrics().append(row);
        }
        Thread hook = new Thread(() -> {
            loop.requestStop();
            try {
                loop.awaitStopped(120);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "winnow-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return loop.run(trainable.parameters(), plan, step, () -> evaluate(evalRecords, scorer), t.resume());
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting because of Ctrl-C: the hook is running
            }
            if (truncation.truncated() > 0) {
                out.println("warning: " + truncation.report(recipe.model().maxLength()) + " during training");
            }
        }
    }

    /** Evaluation after training, on the best checkpoint (restored when it is not the last one); tables printed. */
    Evaluations evaluateAfter(TrainLoop.Result result, Trainable trainable, NDManager manager, Scorer scorer, Evaluations before) {
        Map<String, Double> eval = result.lastEval();
        if (result.bestCheckpoint() != null && !result.bestCheckpoint().equals(runDir.resolve("checkpoint-" + result.steps()))) {
            out.println("best checkpoint by " + recipe.train().metricForBest() + ": " + result.bestCheckpoint()
                    + " (" + result.bestMetric() + "); loading it");
            TrainLoop.restore(trainable.parameters(), null, result.bestCheckpoint(), manager, 0);
            eval = evaluate(evalRecords, scorer);
        }
        Map<String, Double> test = evaluate(testRecords, scorer);
        if (!eval.isEmpty()) {
            out.println();
            out.println(MetricTable.beforeAfter("eval", before.eval(), eval));
        }
        if (!test.isEmpty()) {
            out.println();
            out.println(MetricTable.beforeAfter("test", before.test(), test));
        }
        return new Evaluations(eval, test);
    }

    /**
     * Export (unless {@code export.enabled: false}): the exporters write into a temporary directory that is renamed
     * into place. With LoRA, the PEFT adapter is written to {@code adapter/} first, then (with
     * {@code export.merge_lora}) folded into the exported weights.
     */
    @Nullable Path export(WinnowModel model, Trainable trainable, Evaluations after, @Nullable EmbeddingExport embedding) {
        if (!recipe.export().enabled()) {
            return null;
        }
        Map<String, Double> reported = new LinkedHashMap<>();
        after.eval().forEach((k, v) -> reported.put("eval_" + k, v));
        after.test().forEach((k, v) -> reported.put("test_" + k, v));
        Path target = recipe.export().dir() != null ? Path.of(recipe.export().dir()) : runDir.resolve("export");
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            String yaml = Files.readString(runDir.resolve("recipe.resolved.yaml"));
            FileTrees.deleteTree(tmp);
            Files.createDirectories(tmp);
            Lora lora = trainable.lora();
            if (lora != null) {
                lora.save(tmp.resolve("adapter"), baseModelName(recipe.model().source()));
                if (recipe.export().mergeLora()) {
                    lora.merge();
                }
                // tells Winnow's loaders whether to apply adapter/ on top of the exported weights
                ModelDirectory.writeExportInfo(tmp, "adapter", recipe.export().mergeLora());
            }
            for (ComponentSpec<Exporter> spec : recipe.export().exporters()) {
                components.create(spec).export(new ExportRequest(model, directory.path(), tmp, yaml, reported, embedding));
            }
            Path old = target.resolveSibling(target.getFileName() + ".old-" + ProcessHandle.current().pid());
            if (Files.exists(target)) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export " + target, e);
        }
        out.println("\nexported to " + target);
        return target;
    }

    /** The summary of a finished run, written to {@code results.json}. */
    RecipeRunner.RunSummary finish(Evaluations before, Evaluations after, TrainLoop.Result result, @Nullable Path export) {
        double wall = (System.nanoTime() - start) / 1e9;
        RecipeRunner.RunSummary summary = new RecipeRunner.RunSummary(runDir, before.eval(), after.eval(), before.test(), after.test(),
                export, result.bestCheckpoint(), result.steps(), result.seconds(), result.examplesPerSecond(), wall, false);
        writeSummary(summary);
        out.printf(Locale.ROOT, "done in %.1f s (training %.1f s, %.1f pairs/s)%n", wall, result.seconds(), result.examplesPerSecond());
        return summary;
    }

    /** The summary of a run stopped by Ctrl-C after its checkpoint (nothing evaluated after, nothing exported). */
    RecipeRunner.RunSummary interrupted(Evaluations before, TrainLoop.Result result) {
        return new RecipeRunner.RunSummary(runDir, before.eval(), Map.of(), before.test(), Map.of(), null, result.bestCheckpoint(),
                result.steps(), result.seconds(), result.examplesPerSecond(), (System.nanoTime() - start) / 1e9, true);
    }

    /** The embedding facts an export writes for sentence-transformers ({@code 1_Pooling}, prompts, Normalize). */
    EmbeddingExport embeddingExport(WinnowModel model, dev.winnow.api.text.EmbeddingTemplate template, int maxLength) {
        return new EmbeddingExport(Objects.requireNonNullElse(model.pooling(), "mean"), recipe.model().normalize(),
                template.queryPrompt(), template.documentPrompt(), maxLength, template.closingToken());
    }

    @Override
    public void close() {
        if (dataParallel != null) {
            dataParallel.close();
        }
        tokenizer.close();
    }

    /**
     * Fails before anything is downloaded or loaded when the run cannot fit the device; the sizes come from the
     * architecture, for a local config.json or a Hub model it knows. Without either, nothing is estimated.
     */
    private static void checkMemory(Recipe recipe, ComponentRegistry registry, Device device, PrintStream out) {
        long available = device.isGpu() ? ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax() : MemoryEstimate.physicalMemory();
        MemoryEstimate estimate = MemoryEstimate.forRecipe(recipe, registry, available, device.toString()).orElse(null);
        if (estimate == null) {
            return;
        }
        if (!estimate.fits()) {
            boolean cacheable = recipe.task() == Task.EMBEDDING
                    && !GradCachedLoss.class.isAssignableFrom(recipe.loss().registration().produces());
            throw new UserException(recipe.model().source() + ": " + estimate.explain() + (cacheable
                    ? "; or loss: cached_infonce (GradCache keeps the activations of mini_batch_size texts at a time)" : ""));
        }
        out.println(estimate.explain());
    }

    private static Dataset read(Components components, Recipe.DataSource source, DatasetReader.Options options, PrintStream out,
            @Nullable String label) {
        DatasetFormat format = components.create(source.format());
        Dataset d = new DatasetReader(format, options).readAll(source.path(), Path.of("."));
        out.println((label != null ? label : "data " + source.path()) + ": " + d.report().summary());
        return d;
    }

    /**
     * The adapter's {@code base_model_name_or_path}: a local directory as an absolute path (so the adapter loads from
     * any working directory), a Hub id or {@code maven:} source as given.
     */
    static String baseModelName(String source) {
        try {
            Path p = Path.of(source);
            return Files.isDirectory(p) ? p.toAbsolutePath().normalize().toString() : source;
        } catch (java.nio.file.InvalidPathException e) {
            return source;
        }
    }

    private void writeSummary(RecipeRunner.RunSummary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eval_before", s.evalBefore());
        m.put("eval_after", s.evalAfter());
        m.put("test_before", s.testBefore());
        m.put("test_after", s.testAfter());
        m.put("export", s.export() == null ? null : s.export().toString());
        m.put("best_checkpoint", s.bestCheckpoint() == null ? null : s.bestCheckpoint().toString());
        m.put("steps", s.steps());
        m.put("train_seconds", s.trainSeconds());
        m.put("train_pairs_per_second", s.examplesPerSecond());
        m.put("wall_seconds", s.wallSeconds());
        try {
            Path tmp = runDir.resolve("results.json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(m) + "\n");
            Files.move(tmp, runDir.resolve("results.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve("results.json"), e);
        }
    }

    private static String brief(Map<String, Double> m) {
        StringBuilder sb = new StringBuilder();
        for (String k : List.of("ndcg@10", "mrr@10", "map", "accuracy")) {
            if (m.containsKey(k)) {
                sb.append(k).append(' ').append(String.format(Locale.ROOT, "%.4f", m.get(k))).append("  ");
            }
        }
        return sb.toString().trim();
    }

    /** A new (not resumed) run replaces the metrics, plot and checkpoints an earlier run left in output_dir. */
    private void startFresh() {
        List<Path> old = new ArrayList<>(Checkpoints.list(runDir));
        for (String f : List.of("metrics.jsonl", "training.png", "results.json")) {
            if (Files.exists(runDir.resolve(f))) {
                old.add(runDir.resolve(f));
            }
        }
        if (!old.isEmpty()) {
            out.println("output_dir " + runDir + " holds an earlier run: replacing its metrics and " + Checkpoints.list(runDir).size()
                    + " checkpoint(s) (to continue it instead: runner resume " + runDir + ")");
            for (Path p : old) {
                FileTrees.deleteTree(p);
            }
        }
    }

    /** Training groups of each epoch, in micro-batches of {@code batchSize} groups. */
    record GroupPlan(Grouper grouper, int batchSize) implements TrainLoop.EpochPlan<List<Group>> {
        @Override
        public List<List<Group>> epoch(int epoch) {
            Epoch e = grouper.epoch(epoch);
            List<List<Group>> out = new ArrayList<>();
            List<Group> groups = e.groups();
            for (int i = 0; i < groups.size(); i += batchSize) {
                out.add(groups.subList(i, Math.min(groups.size(), i + batchSize)));
            }
            return out;
        }
    }
}
