package dev.winnow.core.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.UserException;
import dev.winnow.api.model.LayerwiseModel;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.AnswerTokens;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.ConfigDefaults;
import dev.winnow.core.recipe.Position;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import dev.winnow.core.text.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A reranker for inference, from Java or Kotlin:
 *
 * <pre>{@code
 * try (CrossEncoder ce = CrossEncoder.load(Path.of("runs/quickstart/export"))) {
 *     float[] scores = ce.predict(List.of(new TextPair("query", "document")));
 *     List<RankedDocument> top = ce.rank("query", documents, 3);
 * }
 * }</pre>
 *
 * Scores are raw logits; {@link #predict(List, boolean)} with {@code sigmoid = true} maps them to (0, 1). A pair's
 * score does not depend on the other pairs in the call, to the bit ({@link TextVectors#encodeExact}), so
 * {@code runner serve}, which batches requests together, returns exactly what {@code predict} returns.
 */
public final class CrossEncoder implements AutoCloseable {
    private final NDManager manager;
    private final WinnowModel model;
    private final HfTokenizer tokenizer;
    private final PairScorer scorer;

    private CrossEncoder(NDManager manager, WinnowModel model, HfTokenizer tokenizer, PairScorer scorer) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.scorer = scorer;
    }

    /** Loads a reranker from a local directory in Hugging Face layout. */
    public static CrossEncoder load(Path directory) {
        return builder(directory.toString()).build();
    }

    /** Options for loading: a local directory, a Hub id or a {@code maven:} source. */
    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** Raw scores, one per pair, in order. */
    public float[] predict(List<TextPair> pairs) {
        return predict(pairs, false);
    }

    /** Scores, optionally through a sigmoid (probabilities for a one-logit head). */
    public float[] predict(List<TextPair> pairs, boolean sigmoid) {
        List<TemplateInput> inputs = new ArrayList<>(pairs.size());
        for (TextPair p : pairs) {
            inputs.add(new TemplateInput(p.query(), p.document(), null));
        }
        float[] scores = scorer.score(inputs);
        if (sigmoid) {
            for (int i = 0; i < scores.length; i++) {
                scores[i] = (float) (1 / (1 + Math.exp(-scores[i])));
            }
        }
        return scores;
    }

    /** The {@code topK} best documents for {@code query}, best first (all when topK <= 0); ties keep input order. */
    public List<RankedDocument> rank(String query, List<String> documents, int topK) {
        List<TextPair> pairs = documents.stream().map(d -> new TextPair(query, d)).toList();
        float[] scores = predict(pairs);
        List<RankedDocument> ranked = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            ranked.add(new RankedDocument(i, scores[i]));
        }
        ranked.sort(Comparator.comparingDouble(RankedDocument::score).reversed().thenComparingInt(RankedDocument::index));
        return topK > 0 && topK < ranked.size() ? List.copyOf(ranked.subList(0, topK)) : List.copyOf(ranked);
    }

    public WinnowModel model() {
        return model;
    }

    /** The scorer behind {@link #predict}, with its truncation count. */
    public PairScorer scorer() {
        return scorer;
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            manager.close();
        }
    }

    /** Loading options; every one has a default. */
    public static final class Builder {
        private final String source;
        private String revision = "main";
        private int maxLength = 512;
        private int batchSize = 32;
        private String device = "auto";
        private String template;
        private ComponentRegistry registry;
        private Integer cutoffLayer;

        private Builder(String source) {
            this.source = source;
        }

        public Builder optRevision(String revision) {
            this.revision = revision;
            return this;
        }

        public Builder optMaxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /**
         * Unused by {@link #predict}, which runs every pair in canonical 4-row batches so that its score does not
         * depend on the other pairs ({@link TextVectors#encodeExact}); kept so existing callers compile.
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optDevice(String device) {
            this.device = device;
            return this;
        }

        /** The prompt template id (default: the architecture's, such as {@code pair} for cross-encoders, {@code qwen3-reranker} for Qwen3). */
        public Builder optTemplate(String template) {
            this.template = template;
            return this;
        }

        /**
         * For a layerwise reranker (bge-reranker-v2-minicpm-layerwise): the layer whose head scores, so inference stops
         * there (default: the last layer). Other models refuse it.
         */
        public Builder optCutoffLayer(int layer) {
            this.cutoffLayer = layer;
            return this;
        }

        public Builder optRegistry(ComponentRegistry registry) {
            this.registry = registry;
            return this;
        }

        public CrossEncoder build() {
            WinnowEngine.start();
            ComponentRegistry reg = registry != null ? registry : ComponentRegistry.discover();
            ModelDirectory dir = ModelDirectory.locate(source, revision);
            Device target = WinnowEngine.device(device);
            NDManager manager = NDManager.newBaseManager(target);
            try {
                ModelLoader loader = new ModelLoader(reg);
                ModelArchitecture architecture = loader.architecture(dir, "auto");
                // a classification head where the architecture has one, else the generative (yes/no) head
                Task task = architecture.tasks().contains(Task.RERANKER) ? Task.RERANKER : Task.GENERATIVE_RERANKER;
                String templateId = template != null ? template : architecture.defaultTemplate(task);
                var registration = reg.find(ComponentKind.TEMPLATE, templateId).orElseThrow(() -> new UserException(
                        "unknown template '" + templateId + "'; available: " + String.join(", ", reg.ids(ComponentKind.TEMPLATE))));
                Record config = ConfigDefaults.of(registration.configType());
                PromptTemplate t = new Components(reg, 0, Path.of(".")).create(new ComponentSpec<>(
                        registration, config, Position.defaultOf("template")));
                HfTokenizer tokenizer = HfTokenizer.load(dir.tokenizerDir());
                ModelOptions options = ModelOptions.of(task);
                if (t instanceof AnswerTokens answers) {
                    options = options.withAnswerTokens(tokenizer.answerTokenIds(answers));
                }
                WinnowModel model = loader.load(dir, "auto", options, manager);
                if (cutoffLayer != null) {
                    if (!(model instanceof LayerwiseModel layerwise)) {
                        throw new UserException("a cutoff layer needs a layerwise reranker (a score head per layer, such as "
                                + "minicpm's); this " + model.architecture() + " model scores at its last layer only");
                    }
                    model = layerwise.atLayer(cutoffLayer);
                }
                TextModel text = TextModel.of(model, tokenizer, maxLength);
                return new CrossEncoder(manager, model, tokenizer, new PairScorer(text, t, batchSize, manager, true));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }
}
