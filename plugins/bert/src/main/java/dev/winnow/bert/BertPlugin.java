package dev.winnow.bert;

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

/** Registers the {@code bert} (BERT, MiniLM, BGE) and {@code xlm-roberta} (XLM-R, RoBERTa, bge-reranker) architectures. */
public final class BertPlugin implements WinnowPlugin {
    /** One architecture per family; both build {@link BertModel}. */
    record Architecture(Set<String> modelTypes) implements ModelArchitecture {
        @Override
        public Set<Task> tasks() {
            return Set.of(Task.RERANKER, Task.EMBEDDING);
        }

        @Override
        public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                ModelOptions options, NDManager manager) {
            return new BertModel(BertConfig.parse(configJson, directory.resolve("config.json")), configJson, weights, options,
                    manager, directory);
        }
    }

    @Override
    public String name() {
        return "bert";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.model("bert", new Architecture(Set.of("bert")));
        registrar.model("xlm-roberta", new Architecture(Set.of("xlm-roberta", "roberta")));
    }
}
