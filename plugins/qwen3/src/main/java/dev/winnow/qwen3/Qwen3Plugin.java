package dev.winnow.qwen3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import java.nio.file.Path;
import java.util.Map;
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
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new Qwen3Model(Qwen3Config.parse(configJson, directory.resolve("config.json")), configJson, weights, options, directory);
        }
    };

    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("qwen3", ARCHITECTURE);
    }
}
