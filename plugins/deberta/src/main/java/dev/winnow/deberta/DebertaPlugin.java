package dev.winnow.deberta;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * Registers the {@code deberta-v2} architecture: DeBERTa-v2/v3 cross-encoders (microsoft/deberta-v3-base with a fresh
 * head, as open-retrievals' fine-tuning example starts from, or a DebertaV2ForSequenceClassification checkpoint).
 */
public final class DebertaPlugin implements WinnowPlugin {
    static final ModelArchitecture ARCHITECTURE = new ModelArchitecture() {
        @Override
        public Set<String> modelTypes() {
            return Set.of("deberta-v2");
        }

        @Override
        public Set<Task> tasks() {
            return Set.of(Task.RERANKER);
        }

        /** A cross-encoder reads [CLS] query [SEP] document [SEP] (the tokenizer's pair post-processor). */
        @Override
        public String defaultTemplate(Task task) {
            return "pair";
        }

        @Override
        public Class<? extends Record> optionsType() {
            return DebertaOptions.class;
        }

        /** Counted from the weight table itself: the encoder, the ContextPooler and a one-label classifier. */
        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            DebertaConfig c = DebertaConfig.parse(configJson, Path.of("config.json"));
            long parameters = 0;
            Map<String, Shape> all = new LinkedHashMap<>(DebertaWeights.encoder(c));
            all.putAll(DebertaWeights.head(c, true, 1));
            for (Shape s : all.values()) {
                parameters += s.size();
            }
            long h = c.hiddenSize();
            long perLayer = DebertaWeights.attentionProjections(c).size() * 2 * h + 2 * h + (h + c.intermediateSize())
                    + (c.intermediateSize() + h);
            long embedding = (long) c.vocabSize() * h;
            return Optional.of(new ModelShape(parameters, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), embedding,
                    c.numHiddenLayers() * perLayer));
        }

        @Override
        public Map<String, Map<String, Object>> knownConfigs() {
            return KNOWN;
        }

        @Override
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new DebertaModel(DebertaConfig.parse(configJson, directory.resolve("config.json")), configJson, weights,
                    options, manager, directory);
        }
    };

    /**
     * microsoft's DeBERTa-v3 checkpoints' {@code config.json}, so that a recipe's memory estimate is printed before
     * anything is downloaded; the downloaded {@code config.json} is what the model reads.
     */
    static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "microsoft/deberta-v3-base", config(768, 3072, 12, 12),
            "microsoft/deberta-v3-large", config(1024, 4096, 24, 16),
            "microsoft/deberta-v3-small", config(768, 3072, 6, 12),
            "microsoft/deberta-v3-xsmall", config(384, 1536, 12, 6));

    private static Map<String, Object> config(int hidden, int intermediate, int layers, int heads) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "deberta-v2");
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("hidden_size", hidden);
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", intermediate);
        c.put("max_position_embeddings", 512);
        c.put("relative_attention", true);
        c.put("position_buckets", 256);
        c.put("norm_rel_ebd", "layer_norm");
        c.put("share_att_key", true);
        c.put("pos_att_type", "p2c|c2p");
        c.put("layer_norm_eps", 1e-7);
        c.put("max_relative_positions", -1);
        c.put("position_biased_input", false);
        c.put("num_attention_heads", heads);
        c.put("num_hidden_layers", layers);
        c.put("type_vocab_size", 0);
        c.put("vocab_size", 128100);
        return Map.copyOf(c);
    }

    @Override
    public String name() {
        return "deberta";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("deberta-v2", ARCHITECTURE);
    }
}
