package dev.winnow.core.recipe;

import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.eval.EvalResult;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Minimal components with the ids the recipe defaults name, for recipe tests. */
final class TestPlugins {
    private TestPlugins() {}

    record ListwiseConfig(
            @Doc("softmax temperature") @Default("1.0") @Range(min = 0, minExclusive = true) double temperature,
            @Doc("smallest group") @Default("2") @Range(min = 1) int minGroupSize) {}

    record BceConfig(@Doc("weight of positives") @org.jspecify.annotations.Nullable Double posWeight) {}

    record RerankingConfig(@Doc("cutoffs") @Default("[1, 5, 10]") List<Integer> k) {}

    /** An embedding-style loss: not a RankingLoss. */
    interface FakeEmbeddingLoss extends Loss {}

    static final class Builtins implements WinnowPlugin {
        @Override
        public String name() {
            return "test-builtins";
        }

        @Override
        public void register(Registrar r) {
            RankingLoss loss = (s, l, m) -> s;
            r.loss("listwise_ce", ListwiseConfig.class, RankingLoss.class, (c, ctx) -> loss);
            r.loss("pointwise_bce", BceConfig.class, RankingLoss.class, (c, ctx) -> loss);
            r.loss("infonce", NoConfig.class, FakeEmbeddingLoss.class, (c, ctx) -> new FakeEmbeddingLoss() {});
            PromptTemplate template = (in, tok, max) -> new Encoded(new long[0], new long[0], false);
            r.template("pair", NoConfig.class, (c, ctx) -> template);
            r.template("qwen3-reranker", NoConfig.class, (c, ctx) -> template);
            DatasetFormat format = (row, origin) -> List.of();
            r.format("mteb", NoConfig.class, (c, ctx) -> format);
            r.format("labelled_list", NoConfig.class, (c, ctx) -> format);
            Evaluator evaluator = (records, scorer) -> new EvalResult(Map.of(), Map.of());
            r.evaluator("reranking", RerankingConfig.class, (c, ctx) -> evaluator);
            Exporter exporter = request -> {};
            r.exporter("hf", NoConfig.class, (c, ctx) -> exporter);
        }
    }

    /** The recipe keys under {@code model.options} of the {@code toy} architecture. */
    record ToyOptions(@Doc("layers whose scores are returned") @Default("[-1]") List<Integer> cutoffLayers,
            @Doc("first scored layer") @Default("8") @Range(min = 0) int startLayer) {}

    /** An architecture that declares model options and default templates, read from config.json model_type toy. */
    static final class Toy implements WinnowPlugin {
        @Override
        public String name() {
            return "test-toy-architecture";
        }

        @Override
        public void register(Registrar r) {
            r.model("toy", new ModelArchitecture() {
                @Override
                public Set<String> modelTypes() {
                    return Set.of("toy");
                }

                @Override
                public Set<Task> tasks() {
                    return Set.of(Task.RERANKER, Task.GENERATIVE_RERANKER);
                }

                @Override
                public String defaultTemplate(Task task) {
                    return task == Task.GENERATIVE_RERANKER ? "qwen3-reranker" : "pair";
                }

                @Override
                public Class<? extends Record> optionsType() {
                    return ToyOptions.class;
                }

                @Override
                public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                        ModelOptions options, NDManager manager) {
                    throw new UnsupportedOperationException("recipe tests build no model");
                }
            });
        }
    }

    /** Registers a loss id that {@link Builtins} already has. */
    static final class Duplicate implements WinnowPlugin {
        @Override
        public String name() {
            return "test-duplicate";
        }

        @Override
        public void register(Registrar r) {
            r.loss("listwise_ce", NoConfig.class, RankingLoss.class, (c, ctx) -> (s, l, m) -> s);
        }
    }
}
