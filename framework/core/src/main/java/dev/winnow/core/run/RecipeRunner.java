package dev.winnow.core.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.export.EmbeddingExport;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.model.Task;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.core.data.GroupingOptions;
import dev.winnow.core.infer.EncoderScorer;
import dev.winnow.api.export.ExportRequest;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.AnswerTokens;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.Epoch;
import dev.winnow.core.data.Group;
import dev.winnow.core.data.Grouper;
import dev.winnow.core.data.Splitter;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.eval.MetricTable;
import dev.winnow.core.infer.PairScorer;
import dev.winnow.core.io.FileTrees;
import dev.winnow.nn.kernels.Kernels;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.recipe.RecipeWriter;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.AdamW;
import dev.winnow.core.train.Checkpoints;
import dev.winnow.core.train.LossScaler;
import dev.winnow.core.train.LrSchedule;
import dev.winnow.core.train.Progress;
import dev.winnow.core.train.TrainLoop;
import dev.winnow.core.train.TrainOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Runs a validated recipe end to end: model and data, evaluation before training, training with checkpoints,
 * evaluation after (on the best checkpoint), export, and a summary with the before/after tables.
 */
public final class RecipeRunner {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ComponentRegistry registry;
    private final PrintStream out;
    private final String version;

    public RecipeRunner(ComponentRegistry registry, PrintStream out, String version) {
        this.registry = registry;
        this.out = out;
        this.version = version;
    }

    /** What a run produced. */
    public record RunSummary(Path runDir, Map<String, Double> evalBefore, Map<String, Double> evalAfter,
            Map<String, Double> testBefore, Map<String, Double> testAfter, @Nullable Path export,
            @Nullable Path bestCheckpoint, long steps, double trainSeconds, double examplesPerSecond,
            double wallSeconds, boolean interrupted) {}

    public RunSummary run(LoadedRecipe loaded) {
        long start = System.nanoTime();
        Recipe recipe = loaded.recipe();
        Path runDir = Path.of(recipe.outputDir());
        WinnowEngine.start();
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UserException("output_dir " + runDir + " cannot be created: " + e.getMessage());
        }
        RecipeWriter.write(loaded, version, runDir.resolve("recipe.resolved.yaml"));
        Device device = WinnowEngine.device(recipe.devices().devices().get(0));
        checkMemory(recipe, device);
        long seed = recipe.train().seed();
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
        Components components = new Components(registry, seed, Path.of("."));
        PromptTemplate template = components.create(recipe.template());
        Loss loss = components.create(recipe.loss());
        boolean embedding = recipe.task() == Task.EMBEDDING;
        // the recipe check has matched loss and template to the task; these casts only restate it
        if (embedding ? !(loss instanceof EmbeddingLoss && template instanceof EmbeddingTemplate) : !(loss instanceof RankingLoss)) {
            throw new UserException("task " + recipe.task().id() + " cannot train with loss '" + recipe.loss().id()
                    + "' and template '" + recipe.template().id() + "'");
        }
        List<Evaluator> evaluators = recipe.eval().evaluators().stream().map(components::create).toList();

        // data first: a data mistake should surface before minutes of model loading
        DatasetFormat trainFormat = components.create(recipe.data().train().format());
        Dataset train = new DatasetReader(trainFormat, recipe.data().trainingReadOptions()).readAll(recipe.data().train().path(), Path.of("."));
        out.println("train data: " + train.report().summary());
        List<QueryRecord> trainRecords = train.records();
        List<QueryRecord> evalRecords = List.of();
        if (recipe.data().eval() != null) {
            evalRecords = read(components, recipe.data().eval(), recipe).records();
        } else if (recipe.data().splitRatio() > 0) {
            Splitter.Split split = Splitter.split(trainRecords, recipe.data().splitRatio(), seed);
            trainRecords = split.train();
            evalRecords = split.eval();
            out.println("split_ratio " + recipe.data().splitRatio() + ": " + evalRecords.size() + " queries held out for evaluation");
        }
        trainRecords = dev.winnow.core.mine.RecipeMining.apply(recipe, trainRecords, out); // data.mine, after any split
        List<QueryRecord> testRecords = recipe.data().test() == null ? List.of() : read(components, recipe.data().test(), recipe).records();
        if (recipe.eval().maxQueries() != null) {
            evalRecords = evalRecords.subList(0, Math.min(evalRecords.size(), recipe.eval().maxQueries()));
        }

        ModelDirectory dir = ModelDirectory.locate(recipe.model().source(), recipe.model().revision());
        try (NDManager manager = NDManager.newBaseManager(device); HfTokenizer tokenizer = HfTokenizer.load(dir.tokenizerDir())) {
            Map<String, Object> extra = new LinkedHashMap<>(recipe.model().options());
            extra.put("seed", seed);
            if (template instanceof AnswerTokens answers) {
                extra.put("positive_token_id", tokenizer.tokenId(answers.positiveToken()).orElseThrow(() -> new UserException(
                        "the tokenizer has no single token '" + answers.positiveToken() + "'")));
                extra.put("negative_token_id", tokenizer.tokenId(answers.negativeToken()).orElseThrow(() -> new UserException(
                        "the tokenizer has no single token '" + answers.negativeToken() + "'")));
            }
            ModelOptions options = new ModelOptions(recipe.task(), recipe.model().pooling(), recipe.model().normalize(),
                    recipe.model().numLabels(), extra, recipe.kernels(), recipe.train().precision());
            WinnowModel model = new ModelLoader(registry).load(dir, recipe.model().type(), options, manager);
            if (dir.adapter() != null && model instanceof dev.winnow.nn.LoraTarget adapted) {
                // training (and the export) work on plain weights: fold the source's adapter in first
                adapted.linears().merge();
                out.println("model.source carries an unmerged LoRA adapter (" + dir.adapter() + "): merged into the weights before training");
            }
            int maxLength = Math.min(recipe.model().maxLength(), tokenizer.modelMaxLength());
            out.println("model: " + model.architecture() + " " + recipe.task().id() + ", " + model.parameters().elementCount()
                    + " parameters, max_length " + maxLength + ", device " + device + ", kernels " + Kernels.forModel(options));
            Scorer scorer = embedding
                    ? new EncoderScorer(model, tokenizer, (EmbeddingTemplate) template, maxLength, recipe.eval().batchSize(), manager)
                    : new PairScorer(model, tokenizer, template, maxLength, recipe.eval().batchSize(), manager);

            Map<String, Double> evalBefore = Map.of();
            Map<String, Double> testBefore = Map.of();
            if (recipe.eval().beforeTraining()) {
                evalBefore = evaluate(evaluators, evalRecords, scorer);
                testBefore = evaluate(evaluators, testRecords, scorer);
                if (!evalBefore.isEmpty()) {
                    out.println("before training, eval: " + brief(evalBefore));
                    if (!evalBefore.containsKey(recipe.train().metricForBest())) {
                        throw new UserException(loaded.position("train.metric_for_best") + ": train.metric_for_best '"
                                + recipe.train().metricForBest() + "' is not reported by the evaluators; they report: "
                                + String.join(", ", evalBefore.keySet()));
                    }
                }
            }

            dev.winnow.api.model.ParameterSet trainSet = model.parameters();
            dev.winnow.core.lora.Lora lora = null;
            if (recipe.train().type() == Recipe.TrainType.LORA) {
                var t = recipe.train();
                int rank = t.loraRank() == null ? 8 : t.loraRank();
                lora = dev.winnow.core.lora.Lora.apply(model, new dev.winnow.core.lora.Lora.Config(rank,
                        t.loraAlpha() == null ? 32 : t.loraAlpha(), t.loraDropout() == null ? 0.05 : t.loraDropout(),
                        t.targetModules() == null ? List.of("all-linear") : t.targetModules(), seed), manager);
                long trainable = trainSet(lora).trainable().stream().mapToLong(p -> p.array().size()).sum();
                out.printf(java.util.Locale.ROOT, "LoRA: rank %d on %d layers, %d trainable parameters (%.2f%% of %d)%n", rank,
                        lora.adapters().size(), trainable, 100.0 * trainable / model.parameters().elementCount(),
                        model.parameters().elementCount());
                trainSet = lora.parameters();
            }
            GroupingOptions grouping = recipe.data().grouping();
            if (embedding && ((EmbeddingLoss) loss).labelledPairs() && !grouping.pointwise()) {
                // pair losses read one labelled (query, document) per row: every candidate is a row of its own
                out.println("loss " + recipe.loss().id() + " trains on labelled pairs: every (query, document, label) is one row"
                        + " (data.group_size " + grouping.groupSize() + " does not apply)");
                grouping = new GroupingOptions(1, grouping.positivesPerQuery(), grouping.shortfall());
            }
            GroupPlan plan = new GroupPlan(new Grouper(trainRecords, grouping, seed), recipe.train().batchSize());
            int perEpoch = plan.epoch(0).size();
            if (perEpoch == 0) {
                throw new UserException(recipe.data().train().path() + ": no training group could be formed (queries need "
                        + "a positive" + (recipe.data().groupSize() > 1 ? " and negatives" : "") + ")");
            }
            long stepsPerEpoch = Math.max(1, perEpoch / recipe.train().gradientAccumulationSteps());
            long total = recipe.train().maxSteps() > 0 ? recipe.train().maxSteps() : stepsPerEpoch * recipe.train().epochs();
            var sched = recipe.train().schedule();
            LrSchedule schedule = new LrSchedule(LrSchedule.Kind.valueOf(sched.type().name()), recipe.train().optimizer().lr(),
                    LrSchedule.warmup(sched.warmupSteps(), sched.warmupRatio(), total), total, sched.minLrRatio());
            var opt = recipe.train().optimizer();
            TrainOptions trainOptions = new TrainOptions(total, recipe.train().gradientAccumulationSteps(),
                    recipe.train().maxGradNorm(), schedule,
                    new AdamW.Options(opt.weightDecay(), opt.betas().get(0), opt.betas().get(1), opt.eps()),
                    recipe.train().evalSteps(), recipe.train().saveSteps(), recipe.train().saveTotalLimit(),
                    recipe.train().loggingSteps(), recipe.train().metricForBest(), recipe.train().greaterIsBetter(), seed, runDir,
                    recipe.train().precision() == Precision.FP16 ? LossScaler.Options.defaults() : null);
            out.println("training: " + trainRecords.size() + " queries, " + perEpoch + " micro-batches of "
                    + recipe.train().batchSize() + " groups per epoch, " + total + " optimizer steps");
            TruncationCounter truncation = new TruncationCounter();
            if (!recipe.train().resume()) {
                startFresh(runDir);
            }
            TrainLoop.LossFunction<List<Group>> step = embedding
                    ? new EmbeddingStep(model, tokenizer, (EmbeddingTemplate) template, maxLength, (EmbeddingLoss) loss, truncation)::loss
                    : (batch, scope) -> groupLoss(batch, scope, model, tokenizer, template, maxLength, (RankingLoss) loss, truncation);
            TrainLoop<List<Group>> loop = new TrainLoop<>(trainOptions, new Progress(out, Progress.isTerminal(), total, 0));
            if (!recipe.train().resume() && !evalBefore.isEmpty()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", 0);
                evalBefore.forEach((k, v) -> row.put("eval_" + k, v));
                loop.metrics().append(row); // the baseline starts the eval curve
            }
            List<QueryRecord> evalSet = evalRecords;
            Thread hook = new Thread(() -> {
                loop.requestStop();
                try {
                    loop.awaitStopped(120);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "winnow-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            TrainLoop.Result result;
            try {
                result = loop.run(trainSet, plan,
                        step,
                        () -> evalSet.isEmpty() ? Map.of() : evaluate(evaluators, evalSet, scorer), recipe.train().resume());
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting because of Ctrl-C: the hook is running
                }
            }
            if (truncation.truncated() > 0) {
                out.println("warning: " + truncation.report(maxLength) + " during training");
            }
            if (result.interrupted()) {
                return new RunSummary(runDir, evalBefore, Map.of(), testBefore, Map.of(), null, result.bestCheckpoint(), result.steps(),
                        result.seconds(), result.examplesPerSecond(), (System.nanoTime() - start) / 1e9, true);
            }
            Map<String, Double> evalAfter = result.lastEval();
            if (result.bestCheckpoint() != null && !result.bestCheckpoint().equals(runDir.resolve("checkpoint-" + result.steps()))) {
                out.println("best checkpoint by " + recipe.train().metricForBest() + ": " + result.bestCheckpoint()
                        + " (" + result.bestMetric() + "); loading it");
                TrainLoop.restore(trainSet, null, result.bestCheckpoint(), manager, 0);
                evalAfter = evaluate(evaluators, evalRecords, scorer);
            }
            Map<String, Double> testAfter = evaluate(evaluators, testRecords, scorer);
            if (!evalAfter.isEmpty()) {
                out.println();
                out.println(MetricTable.beforeAfter("eval", evalBefore, evalAfter));
            }
            if (!testAfter.isEmpty()) {
                out.println();
                out.println(MetricTable.beforeAfter("test", testBefore, testAfter));
            }
            Path export = null;
            if (recipe.export().enabled()) {
                Map<String, Double> reported = new LinkedHashMap<>();
                evalAfter.forEach((k, v) -> reported.put("eval_" + k, v));
                testAfter.forEach((k, v) -> reported.put("test_" + k, v));
                EmbeddingExport embeddingExport = null;
                if (template instanceof EmbeddingTemplate t && embedding) {
                    embeddingExport = new EmbeddingExport(java.util.Objects.requireNonNullElse(model.pooling(), "mean"),
                            recipe.model().normalize(), t.queryPrompt(), t.documentPrompt(), maxLength, t.closingToken());
                }
                export = export(recipe, runDir, components, model, dir.path(), Files.readString(runDir.resolve("recipe.resolved.yaml")),
                        reported, lora, embeddingExport);
                out.println("\nexported to " + export);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            RunSummary summary = new RunSummary(runDir, evalBefore, evalAfter, testBefore, testAfter, export, result.bestCheckpoint(),
                    result.steps(), result.seconds(), result.examplesPerSecond(), wall, false);
            writeSummary(runDir, summary);
            out.printf(java.util.Locale.ROOT, "done in %.1f s (training %.1f s, %.1f pairs/s)%n", wall, result.seconds(),
                    result.examplesPerSecond());
            return summary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fails before anything is downloaded or loaded when the run cannot fit the device. The config comes from a
     * local model directory, else from the table of known Hub models; with neither, the check is skipped.
     */
    private void checkMemory(Recipe recipe, Device device) {
        Map<String, Object> config = null;
        Path local = Path.of(recipe.model().source());
        if (Files.isRegularFile(local.resolve("config.json"))) {
            config = ModelDirectory.of(local).config();
        } else {
            config = MemoryEstimate.known(recipe.model().source()).orElse(null);
        }
        if (config == null) {
            return;
        }
        long available = device.isGpu() ? ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax() : MemoryEstimate.physicalMemory();
        MemoryEstimate estimate = MemoryEstimate.of(config, recipe, available, device.toString());
        if (!estimate.fits()) {
            boolean cacheable = recipe.task() == Task.EMBEDDING
                    && !dev.winnow.api.loss.GradCachedLoss.class.isAssignableFrom(recipe.loss().registration().produces());
            throw new UserException(recipe.model().source() + ": " + estimate.explain() + (cacheable
                    ? "; or loss: cached_infonce (GradCache keeps the activations of mini_batch_size texts at a time)" : ""));
        }
        out.println(estimate.explain());
    }

    private Dataset read(Components components, Recipe.DataSource source, Recipe recipe) {
        DatasetFormat format = components.create(source.format());
        Dataset d = new DatasetReader(format, recipe.data().evaluationReadOptions()).readAll(source.path(), Path.of("."));
        out.println("data " + source.path() + ": " + d.report().summary());
        return d;
    }

    static Map<String, Double> evaluate(List<Evaluator> evaluators, List<QueryRecord> records, Scorer scorer) {
        if (records.isEmpty()) {
            return Map.of();
        }
        if (scorer instanceof EncoderScorer encoder) { // evaluators share one encoding of each text
            return encoder.sharingVectors(() -> evaluateEach(evaluators, records, scorer));
        }
        return evaluateEach(evaluators, records, scorer);
    }

    private static Map<String, Double> evaluateEach(List<Evaluator> evaluators, List<QueryRecord> records, Scorer scorer) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Evaluator e : evaluators) {
            EvalResult r = e.evaluate(records, scorer);
            out.putAll(r.metrics());
        }
        return out;
    }

    /** The loss of a micro-batch of groups: every candidate scored, laid out [groups, group size] with a mask. */
    static TrainLoop.StepLoss groupLoss(List<Group> groups, NDManager scope, WinnowModel model, HfTokenizer tokenizer,
            PromptTemplate template, int maxLength, RankingLoss loss, TruncationCounter truncation) {
        int width = groups.stream().mapToInt(Group::size).max().orElse(1);
        List<Encoded> inputs = new ArrayList<>();
        float[] labels = new float[groups.size() * width];
        float[] mask = new float[groups.size() * width];
        int[] rowOf = new int[groups.size() * width];
        java.util.Arrays.fill(rowOf, -1);
        long tokens = 0;
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            for (int c = 0; c < group.size(); c++) {
                Candidate cand = group.candidates().get(c);
                Encoded e = template.render(new TemplateInput(group.source().query(), cand.text(), group.source().instruction()), tokenizer, maxLength);
                truncation.record(e.truncated());
                tokens += e.ids().length;
                rowOf[g * width + c] = inputs.size();
                inputs.add(e);
                labels[g * width + c] = (float) Math.min(1.0, Math.max(0.0, cand.label()));
                mask[g * width + c] = 1f;
            }
        }
        NDArray scores = model.forward(Batches.pad(inputs, tokenizer.padId(), tokenizer.padLeft(), scope), true);
        long[] gather = new long[rowOf.length];
        for (int i = 0; i < rowOf.length; i++) {
            gather[i] = Math.max(0, rowOf[i]);
        }
        NDArray grid = scores.get(scope.create(gather)).reshape(new Shape(groups.size(), width));
        NDArray value = loss.compute(grid, scope.create(labels, new Shape(groups.size(), width)), scope.create(mask, new Shape(groups.size(), width)));
        return new TrainLoop.StepLoss(value, inputs.size(), tokens);
    }

    private static dev.winnow.api.model.ParameterSet trainSet(dev.winnow.core.lora.Lora lora) {
        return lora.parameters();
    }

    /**
     * Runs the exporters into a temporary directory and renames it into place. With LoRA, the PEFT adapter is
     * written to {@code adapter/} first, then (with {@code export.merge_lora}) folded into the exported weights.
     */
    private Path export(Recipe recipe, Path runDir, Components components, WinnowModel model, Path source, String yaml,
            Map<String, Double> metrics, dev.winnow.core.lora.@Nullable Lora lora, @Nullable EmbeddingExport embedding) throws IOException {
        Path target = recipe.export().dir() != null ? Path.of(recipe.export().dir()) : runDir.resolve("export");
        List<ComponentSpec<Exporter>> exporters = recipe.export().exporters();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        FileTrees.deleteTree(tmp);
        Files.createDirectories(tmp);
        if (lora != null) {
            lora.save(tmp.resolve("adapter"), baseModelName(recipe.model().source()));
            if (recipe.export().mergeLora()) {
                lora.merge();
            }
            // tells Winnow's loaders whether to apply adapter/ on top of the exported weights
            ModelDirectory.writeExportInfo(tmp, "adapter", recipe.export().mergeLora());
        }
        for (ComponentSpec<Exporter> spec : exporters) {
            components.create(spec).export(new ExportRequest(model, source, tmp, yaml, metrics, embedding));
        }
        Path old = target.resolveSibling(target.getFileName() + ".old-" + ProcessHandle.current().pid());
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteTree(old);
        return target;
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

    private static void writeSummary(Path runDir, RunSummary s) throws IOException {
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
        Path tmp = runDir.resolve("results.json.tmp");
        Files.writeString(tmp, JSON.writeValueAsString(m) + "\n");
        Files.move(tmp, runDir.resolve("results.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String brief(Map<String, Double> m) {
        StringBuilder sb = new StringBuilder();
        for (String k : List.of("ndcg@10", "mrr@10", "map", "accuracy")) {
            if (m.containsKey(k)) {
                sb.append(k).append(' ').append(String.format(java.util.Locale.ROOT, "%.4f", m.get(k))).append("  ");
            }
        }
        return sb.toString().trim();
    }

    /** A new (not resumed) run replaces the metrics, plot and checkpoints an earlier run left in output_dir. */
    private void startFresh(Path runDir) throws IOException {
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

    /** For {@code runner resume}: the newest complete checkpoint of a run directory, if any. */
    public static @Nullable Path latestCheckpoint(Path runDir) {
        return Checkpoints.latest(runDir).orElse(null);
    }
}
