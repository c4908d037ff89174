package dev.winnow.gemma;

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

/** Registers the {@code gemma} architecture (BAAI/bge-reranker-v2-gemma, google/gemma-2b) and the {@code flag-llm-reranker} template. */
public final class GemmaPlugin implements WinnowPlugin {
    static final ModelArchitecture ARCHITECTURE = new ModelArchitecture() {
        @Override
        public Set<String> modelTypes() {
            return Set.of("gemma");
        }

        @Override
        public Set<Task> tasks() {
            return Set.of(Task.GENERATIVE_RERANKER);
        }

        @Override
        public String defaultTemplate(Task task) {
            return "flag-llm-reranker";
        }

        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            GemmaConfig c = GemmaConfig.parse(configJson, Path.of("config.json"));
            long h = c.hiddenSize();
            long q = (long) c.numAttentionHeads() * c.headDim();
            long kv = (long) c.numKeyValueHeads() * c.headDim();
            long inter = c.intermediateSize();
            long perLayer = h * (q + 2 * kv) + q * h + 3 * h * inter + 2 * h;
            long embedding = (long) c.vocabSize() * h;
            long parameters = embedding * (c.tieWordEmbeddings() ? 1 : 2) + c.numHiddenLayers() * perLayer + h;
            long lora = c.numHiddenLayers() * ((h + q) + 2 * (h + kv) + (q + h) + 3 * (h + inter));
            return Optional.of(new ModelShape(parameters, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), embedding, lora));
        }

        @Override
        public Map<String, Map<String, Object>> knownConfigs() {
            return KNOWN;
        }

        @Override
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new GemmaModel(GemmaConfig.parse(configJson, directory.resolve("config.json")), configJson, weights, options, directory);
        }
    };

    /** bge-reranker-v2-gemma is gemma-2b: 18 layers, hidden 2048, one key/value head (MQA), head_dim 256. */
    static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "BAAI/bge-reranker-v2-gemma", gemma2b(),
            "google/gemma-2b", gemma2b());

    private static Map<String, Object> gemma2b() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "gemma");
        c.put("architectures", List.of("GemmaForCausalLM"));
        c.put("vocab_size", 256000);
        c.put("hidden_size", 2048);
        c.put("intermediate_size", 16384);
        c.put("num_hidden_layers", 18);
        c.put("num_attention_heads", 8);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 256);
        c.put("max_position_embeddings", 8192);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "gelu");
        c.put("tie_word_embeddings", true);
        return Map.copyOf(c);
    }

    @Override
    public String name() {
        return "gemma";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("gemma", ARCHITECTURE);
        registrar.template("flag-llm-reranker", FlagLlmRerankerTemplate.Config.class,
                (config, context) -> new FlagLlmRerankerTemplate(config));
    }
}
