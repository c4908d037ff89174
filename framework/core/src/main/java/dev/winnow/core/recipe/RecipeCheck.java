package dev.winnow.core.recipe;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.TeacherScoresSource;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.core.recipe.Recipe.Strategy;
import dev.winnow.core.recipe.Recipe.TrainSection;
import dev.winnow.core.recipe.Recipe.TrainType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A cross-field rule over a bound recipe, small and named, adding a {@link Problem} for each violation. The
 * built-in ones are listed in {@link #builtIn()}.
 */
public interface RecipeCheck {
    /** A short name, such as {@code lora-options-need-lora}. */
    String name();

    void check(Recipe recipe, Context context, List<Problem> problems);

    /** Positions of the recipe's keys, for messages. */
    record Context(Map<String, Position> positions, Path file) {
        public Position at(String keyPath) {
            Position p = positions.get(keyPath);
            if (p != null) {
                return p;
            }
            int dot = keyPath.lastIndexOf('.');
            return dot > 0 ? at(keyPath.substring(0, dot)) : new Position(file.toString(), 1, 1);
        }
    }

    static RecipeCheck of(String name, Rule rule) {
        return new RecipeCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void check(Recipe recipe, Context context, List<Problem> problems) {
                rule.check(recipe, context, problems);
            }
        };
    }

    /** The body of a check. */
    @FunctionalInterface
    interface Rule {
        void check(Recipe recipe, Context context, List<Problem> problems);
    }

    static List<RecipeCheck> builtIn() {
        return List.of(
                of("lora-options-need-lora", RecipeCheck::loraOptionsNeedLora),
                of("reduced-precision-needs-kernels", RecipeCheck::reducedPrecisionNeedsKernels),
                of("loss-fits-task", RecipeCheck::lossFitsTask),
                of("template-fits-task", RecipeCheck::templateFitsTask),
                of("generative-reranker-needs-causal-lm", RecipeCheck::generativeRerankerNeedsCausalLm),
                of("devices", RecipeCheck::devices),
                of("split-ratio-or-eval", RecipeCheck::splitRatioOrEval),
                of("optimizer-is-adamw", RecipeCheck::optimizerIsAdamw),
                of("one-warmup", RecipeCheck::oneWarmup),
                of("mine-window", RecipeCheck::mineWindow),
                of("teacher-options", RecipeCheck::teacherOptions),
                of("distillation-needs-teacher-scores", RecipeCheck::distillationNeedsTeacherScores));
    }

    private static void loraOptionsNeedLora(Recipe r, Context c, List<Problem> problems) {
        TrainSection t = r.train();
        if (t.type() == TrainType.LORA) {
            return;
        }
        Map<String, Object> set = new java.util.LinkedHashMap<>();
        if (t.loraRank() != null) {
            set.put("lora_rank", t.loraRank());
        }
        if (t.loraAlpha() != null) {
            set.put("lora_alpha", t.loraAlpha());
        }
        if (t.loraDropout() != null) {
            set.put("lora_dropout", t.loraDropout());
        }
        if (t.targetModules() != null) {
            set.put("target_modules", t.targetModules());
        }
        for (String key : set.keySet()) {
            problems.add(new Problem(c.at("train." + key), "train." + key,
                    "LoRA options need train.type: lora (it is " + t.type().name().toLowerCase() + "); set train.type: lora or remove " + key));
        }
    }

    private static void reducedPrecisionNeedsKernels(Recipe r, Context c, List<Problem> problems) {
        Precision p = r.train().precision();
        if (p != Precision.FP32 && r.kernels() == KernelMode.COMPOSED) {
            String name = p.name().toLowerCase(java.util.Locale.ROOT);
            problems.add(new Problem(c.at("train.precision"), "train.precision",
                    name + " needs the TorchScript kernels (kernels: auto or torchscript); kernels: composed computes in "
                            + "fp32 only (DJL's own operators have no bf16, and fp16 there would lose the fp32 master "
                            + "weights); valid with kernels: composed: fp32"));
        }
    }

    private static void lossFitsTask(Recipe r, Context c, List<Problem> problems) {
        boolean ranking = RankingLoss.class.isAssignableFrom(r.loss().registration().produces());
        boolean rerankerTask = r.task() == Task.RERANKER || r.task() == Task.GENERATIVE_RERANKER;
        if (rerankerTask && !ranking) {
            problems.add(new Problem(c.at("loss"), "loss", "the loss '" + r.loss().id() + "' does not score rerankers; task "
                    + r.task().id() + " needs a ranking loss such as listwise_ce or pointwise_bce"));
        }
        if (!rerankerTask && ranking) {
            problems.add(new Problem(c.at("loss"), "loss", "the loss '" + r.loss().id() + "' is a ranking loss; task "
                    + r.task().id() + " needs an embedding loss"));
        }
    }

    private static void templateFitsTask(Recipe r, Context c, List<Problem> problems) {
        boolean single = EmbeddingTemplate.class.isAssignableFrom(r.requireTemplate().registration().produces());
        if (r.task() == Task.EMBEDDING && !single) {
            problems.add(new Problem(c.at("template"), "template", "template '" + r.requireTemplate().id() + "' renders (query, "
                    + "document) pairs for rerankers; task embedding encodes single texts: use template: text (BERT-family "
                    + "models, optional query_prompt) or qwen3-embedding"));
        }
        if (r.task() != Task.EMBEDDING && single) {
            problems.add(new Problem(c.at("template"), "template", "template '" + r.requireTemplate().id() + "' renders single "
                    + "texts for embedding models; task " + r.task().id() + " needs a pair template such as pair or qwen3-reranker"));
        }
    }

    private static void generativeRerankerNeedsCausalLm(Recipe r, Context c, List<Problem> problems) {
        if (r.task() != Task.GENERATIVE_RERANKER) {
            return;
        }
        if (r.requireTemplate().id().equals("pair")) {
            problems.add(new Problem(c.at("template"), "template", "a generative reranker needs a yes/no prompt template "
                    + "such as qwen3-reranker, not pair"));
        }
        Path config = Path.of(r.model().source()).resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return; // a Hub id not yet downloaded: checked when the model loads
        }
        try {
            Map<?, ?> json = new ObjectMapper().readValue(config.toFile(), Map.class);
            Object archs = json.get("architectures");
            boolean causal = archs instanceof List<?> list && list.stream().anyMatch(a -> String.valueOf(a).endsWith("ForCausalLM"));
            if (!causal) {
                problems.add(new Problem(c.at("model.source"), "model.source", "a generative reranker needs a causal LM "
                        + "(config.json architectures *ForCausalLM); " + config + " declares " + archs));
            }
        } catch (IOException e) {
            problems.add(new Problem(c.at("model.source"), "model.source", "cannot read " + config + ": " + e.getMessage()));
        }
    }

    private static void devices(Recipe r, Context c, List<Problem> problems) {
        List<String> names = r.devices().devices();
        if (names.isEmpty()) {
            problems.add(new Problem(c.at("devices.devices"), "devices.devices", "list at least one device (auto, cpu, gpu:N or all)"));
            return;
        }
        for (String name : names) {
            String n = name.trim().toLowerCase(java.util.Locale.ROOT);
            if (!(n.equals("auto") || n.equals("cpu") || n.equals("all") || n.equals("gpu") || n.matches("(gpu|cuda):\\d+"))) {
                problems.add(new Problem(c.at("devices.devices"), "devices.devices", "unknown device '" + name
                        + "'" + Suggestions.didYouMean(n, List.of("auto", "cpu", "gpu", "all")) + "; valid: auto, cpu, gpu, gpu:N, all"));
            }
        }
        if (names.size() > 1 && names.stream().anyMatch(n -> n.trim().equalsIgnoreCase("all"))) {
            problems.add(new Problem(c.at("devices.devices"), "devices.devices", "'all' stands alone (every GPU); found it in " + names));
        }
        boolean several = names.size() > 1 || names.get(0).trim().equalsIgnoreCase("all");
        if (several && r.devices().strategy() != Strategy.DATA_PARALLEL) {
            problems.add(new Problem(c.at("devices.devices"), "devices.devices", names
                    + " names several devices, but devices.strategy is single; add strategy: data_parallel (or list one device)"));
        }
    }

    private static void splitRatioOrEval(Recipe r, Context c, List<Problem> problems) {
        if (r.data().splitRatio() > 0 && r.data().eval() != null) {
            problems.add(new Problem(c.at("data.split_ratio"), "data.split_ratio",
                    "split_ratio carves an eval split only when data.eval is absent; remove one of them"));
        }
    }

    private static void optimizerIsAdamw(Recipe r, Context c, List<Problem> problems) {
        if (!r.train().optimizer().type().equals("adamw")) {
            problems.add(new Problem(c.at("train.optimizer.type"), "train.optimizer.type",
                    "unknown optimizer '" + r.train().optimizer().type() + "'; available: adamw"));
        }
    }

    private static void oneWarmup(Recipe r, Context c, List<Problem> problems) {
        if (r.train().schedule().warmupSteps() > 0 && r.train().schedule().warmupRatio() > 0) {
            problems.add(new Problem(c.at("train.schedule.warmup_steps"), "train.schedule.warmup_steps",
                    "set warmup_steps or warmup_ratio, not both"));
        }
    }

    private static void mineWindow(Recipe r, Context c, List<Problem> problems) {
        var mine = r.data().mine();
        if (mine == null) {
            return;
        }
        mine.problems(k -> "data.mine." + k).forEach((key, message) ->
                problems.add(new Problem(c.at("data.mine." + key), "data.mine." + key, message)));
    }

    private static void teacherOptions(Recipe r, Context c, List<Problem> problems) {
        var teacher = r.data().teacher();
        if (teacher == null) {
            return;
        }
        teacher.problems().forEach((key, message) ->
                problems.add(new Problem(c.at("data.teacher." + key), "data.teacher." + key, message)));
    }

    /**
     * A loss that learns from teacher scores needs training data that carries them: a format that reads them
     * ({@link TeacherScoresSource}) or {@code data.teacher}, which scores the data (after mining, whose negatives have
     * none).
     */
    private static void distillationNeedsTeacherScores(Recipe r, Context c, List<Problem> problems) {
        if (!DistillationLoss.class.isAssignableFrom(r.loss().registration().produces()) || r.data().teacher() != null) {
            return;
        }
        String loss = r.loss().id();
        String teacher = "add data.teacher (teacher: {model: <a reranker or embedding model>}) to score the training data";
        if (r.data().mine() != null) {
            problems.add(new Problem(c.at("data.mine"), "data.mine", "loss '" + loss + "' learns from teacher scores, but "
                    + "data.mine replaces the negatives with mined ones that have none; " + teacher + " after mining"));
            return;
        }
        var format = r.data().train().format();
        if (format.config() instanceof TeacherScoresSource source && source.teacherScores()) {
            return;
        }
        String supplies = format.config() instanceof TeacherScoresSource source
                ? "format " + format.id() + " is not set to read them (its " + source.teacherScoresKeys() + ")"
                : "format " + format.id() + " supplies none";
        problems.add(new Problem(c.at("data.train.format"), "data.train.format", "loss '" + loss + "' learns from teacher "
                + "scores, but the training data's " + supplies + "; use format flagembedding (rows with pos_scores /"
                + " neg_scores, as runner annotate writes them), the fields format's scores / positive_scores /"
                + " negative_scores, or " + teacher));
    }
}
