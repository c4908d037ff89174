package dev.winnow.qwen3;

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

/** Registers the {@code qwen3} architecture (Qwen3-Reranker, Qwen3-Embedding, Qwen3 base models). */
public final class Qwen3Plugin implements WinnowPlugin {
    static final ModelArchitecture ARCHITECTURE = new ModelArchitecture() {
        @Override
        public Set<String> modelTypes() {
            return Set.of("qwen3");
        }

        @Override
        public Set<Task> tasks() {
            return Set.of(Task.GENERATIVE_RERANKER, Task.EMBEDDING);
        }

        @Override
        public String defaultTemplate(Task task) {
            return task == Task.EMBEDDING ? "qwen3-embedding" : "qwen3-reranker";
        }

        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            Qwen3Config c = Qwen3Config.parse(configJson, Path.of("config.json"));
            long h = c.hiddenSize();
            long q = (long) c.numAttentionHeads() * c.headDim();
            long kv = (long) c.numKeyValueHeads() * c.headDim();
            long inter = c.intermediateSize();
            long perLayer = h * (q + 2 * kv) + q * h + 3 * h * inter + 2 * h + 2L * c.headDim();
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
            return new Qwen3Model(Qwen3Config.parse(configJson, directory.resolve("config.json")), configJson, weights, options, directory);
        }
    };

    /** The published Qwen3 reranker and embedding models, for a memory estimate before anything is downloaded. */
    static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "Qwen/Qwen3-Reranker-0.6B", config(1024, 28, 3072, 16, 8, 128, true),
            "Qwen/Qwen3-Reranker-4B", config(2560, 36, 9728, 32, 8, 128, true),
            "Qwen/Qwen3-Reranker-8B", config(4096, 36, 12288, 32, 8, 128, false),
            "Qwen/Qwen3-Embedding-0.6B", config(1024, 28, 3072, 16, 8, 128, true),
            "Qwen/Qwen3-Embedding-4B", config(2560, 36, 9728, 32, 8, 128, true),
            "Qwen/Qwen3-Embedding-8B", config(4096, 36, 12288, 32, 8, 128, false));

    private static Map<String, Object> config(int h, int layers, int inter, int heads, int kv, int headDim, boolean tied) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "qwen3");
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        c.put("hidden_size", h);
        c.put("num_hidden_layers", layers);
        c.put("intermediate_size", inter);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kv);
        c.put("head_dim", headDim);
        c.put("vocab_size", 151669);
        c.put("tie_word_embeddings", tied);
        return Map.copyOf(c);
    }

    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("qwen3", ARCHITECTURE);
    }
}
