package dev.winnow.modernbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.ModelShape;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Registers the {@code modernbert} architecture: ModernBERT cross-encoders (Alibaba-NLP/gte-reranker-modernbert-base,
 * or a fresh classification head on a ModernBERT base) and embedders (Alibaba-NLP/gte-modernbert-base).
 */
public final class ModernBertPlugin implements WinnowPlugin {
    static final ModelArchitecture ARCHITECTURE = new ModelArchitecture() {
        @Override
        public Set<String> modelTypes() {
            return Set.of("modernbert");
        }

        @Override
        public Set<Task> tasks() {
            return Set.of(Task.RERANKER, Task.EMBEDDING);
        }

        /** A cross-encoder reads [CLS] query [SEP] document [SEP] (the tokenizer's pair post-processor). */
        @Override
        public String defaultTemplate(Task task) {
            return task == Task.EMBEDDING ? "text" : "pair";
        }

        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            ModernBertConfig c = ModernBertConfig.parse(configJson, Path.of("config.json"));
            long h = c.hiddenSize();
            long inter = c.intermediateSize();
            long norm = c.normBias() ? 2 * h : h;
            long attention = 3 * h * h + h * h + (c.attentionBias() ? 4 * h : 0);
            long mlp = 2 * inter * h + inter * h + (c.mlpBias() ? 2 * inter + h : 0);
            long layers = c.numHiddenLayers();
            long embedding = (long) c.vocabSize() * h;
            // embedding + its norm, every layer (layer 0 without attn_norm), final norm, head (dense, norm) and a 1-label classifier
            long parameters = embedding + norm + layers * (attention + mlp + 2 * norm) - norm + norm
                    + h * h + (c.classifierBias() ? h : 0) + norm + h + 1;
            long lora = layers * ((h + 3 * h) + 2 * h + (h + 2 * inter) + (inter + h));
            return Optional.of(new ModelShape(parameters, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), embedding, lora));
        }

        @Override
        public Map<String, Map<String, Object>> knownConfigs() {
            return KNOWN;
        }

        @Override
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new ModernBertModel(ModernBertConfig.parse(configJson, directory.resolve("config.json")), configJson, weights,
                    options, manager, directory);
        }
    };

    /**
     * The shape-deciding keys of the published ModernBERT models' {@code config.json}, so that a recipe's memory
     * estimate is printed before anything is downloaded; the downloaded {@code config.json} is what the model reads.
     */
    static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "Alibaba-NLP/gte-reranker-modernbert-base", config("ModernBertForSequenceClassification", 768, 1152, 22, 12),
            "Alibaba-NLP/gte-modernbert-base", config("ModernBertModel", 768, 1152, 22, 12),
            "answerdotai/ModernBERT-base", config("ModernBertForMaskedLM", 768, 1152, 22, 12),
            "answerdotai/ModernBERT-large", config("ModernBertForMaskedLM", 1024, 2624, 28, 16));

    private static Map<String, Object> config(String architecture, int hidden, int intermediate, int layers, int heads) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "modernbert");
        c.put("architectures", List.of(architecture));
        c.put("vocab_size", 50368);
        c.put("hidden_size", hidden);
        c.put("intermediate_size", intermediate);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("max_position_embeddings", 8192);
        c.put("global_attn_every_n_layers", 3);
        c.put("local_attention", 128);
        c.put("global_rope_theta", 160000.0);
        c.put("local_rope_theta", 10000.0);
        c.put("hidden_activation", "gelu");
        c.put("norm_eps", 1e-5);
        c.put("norm_bias", false);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("classifier_pooling", "mean");
        c.put("pad_token_id", 50283);
        c.put("cls_token_id", 50281);
        c.put("sep_token_id", 50282);
        return Map.copyOf(c);
    }

    @Override
    public String name() {
        return "modernbert";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("modernbert", ARCHITECTURE);
    }
}
