package dev.winnow.minicpm;

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
 * Registers the {@code minicpm} architecture (BAAI/bge-reranker-v2-minicpm-layerwise) and the
 * {@code flag-layerwise-reranker} template.
 */
public final class MiniCpmPlugin implements WinnowPlugin {
    static final ModelArchitecture ARCHITECTURE = new ModelArchitecture() {
        @Override
        public Set<String> modelTypes() {
            return Set.of("minicpm");
        }

        @Override
        public Set<Task> tasks() {
            return Set.of(Task.RERANKER);
        }

        @Override
        public String defaultTemplate(Task task) {
            return "flag-layerwise-reranker";
        }

        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            MiniCpmConfig c = MiniCpmConfig.parse(configJson, Path.of("config.json"));
            long h = c.hiddenSize();
            long kv = (long) c.numKeyValueHeads() * c.headDim();
            long inter = c.intermediateSize();
            long perLayer = h * (h + 2 * kv) + h * h + 3 * h * inter + 2 * h;
            long embedding = (long) c.vocabSize() * h;
            long heads = (long) (c.headMulti() ? c.scoreLayers().size() : 1) * h;
            long parameters = embedding + c.numHiddenLayers() * perLayer + h + heads;
            long lora = c.numHiddenLayers() * ((h + h) + 2 * (h + kv) + (h + h) + 3 * (h + inter));
            return Optional.of(new ModelShape(parameters, c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), embedding, lora));
        }

        @Override
        public Map<String, Map<String, Object>> knownConfigs() {
            return KNOWN;
        }

        @Override
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new MiniCpmModel(MiniCpmConfig.parse(configJson, directory.resolve("config.json")), configJson, weights, options,
                    directory);
        }
    };

    /**
     * bge-reranker-v2-minicpm-layerwise is MiniCPM-2B (openbmb/MiniCPM-2B-dpo-bf16) with 33 score heads: 40 layers,
     * hidden 2304, 36 heads (no grouping), SwiGLU 5760, scale_emb 12, scale_depth 1.4, dim_model_base 256, heads from
     * layer 8.
     */
    static final Map<String, Map<String, Object>> KNOWN = Map.of("BAAI/bge-reranker-v2-minicpm-layerwise", minicpm2b());

    private static Map<String, Object> minicpm2b() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "minicpm");
        c.put("architectures", List.of("LayerWiseMiniCPMForCausalLM"));
        c.put("vocab_size", 122753);
        c.put("hidden_size", 2304);
        c.put("intermediate_size", 5760);
        c.put("num_hidden_layers", 40);
        c.put("num_attention_heads", 36);
        c.put("num_key_value_heads", 36);
        c.put("max_position_embeddings", 2048);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("scale_emb", 12);
        c.put("scale_depth", 1.4);
        c.put("dim_model_base", 256);
        c.put("start_layer", 8);
        c.put("head_multi", true);
        c.put("head_type", "simple");
        return Map.copyOf(c);
    }

    @Override
    public String name() {
        return "minicpm";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("minicpm", ARCHITECTURE);
        registrar.template("flag-layerwise-reranker", LayerwiseRerankerTemplate.Config.class,
                (config, context) -> new LayerwiseRerankerTemplate(config));
    }
}
