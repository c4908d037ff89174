package dev.winnow.bert;

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
import java.util.Map;
import java.util.Optional;
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
        public String defaultTemplate(Task task) {
            return task == Task.EMBEDDING ? "text" : "pair";
        }

        @Override
        public Optional<ModelShape> shape(Map<String, Object> configJson) {
            BertConfig c = BertConfig.parse(configJson, Path.of("config.json"));
            long h = c.hiddenSize();
            long inter = c.intermediateSize();
            long perLayer = 4 * (h * h + h) + 2 * h * inter + inter + h + 4 * h;
            long embeddings = (long) (c.vocabSize() + c.maxPositionEmbeddings() + c.typeVocabSize()) * h + 2 * h;
            long head = h * h + 2 * h + 1; // pooler (or XLM-R's dense) and a one-label classifier
            long lora = c.numHiddenLayers() * (4 * 2 * h + 2 * (h + inter));
            return Optional.of(new ModelShape(embeddings + c.numHiddenLayers() * perLayer + head, c.numHiddenLayers(),
                    c.hiddenSize(), c.numAttentionHeads(), (long) c.vocabSize() * h, lora));
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
        registrar.importer("onnx-bert", new OnnxBertImporter());
    }
}
