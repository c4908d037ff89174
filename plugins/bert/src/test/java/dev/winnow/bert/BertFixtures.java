package dev.winnow.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.nn.Ops;
import dev.winnow.core.testing.TestResources;
import dev.winnow.nn.weights.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Real models imported from the langchain4j jars, and tiny seeded random ones. */
final class BertFixtures {
    private BertFixtures() {}

    /** {@code name} is all-minilm-l6-v2 or bge-small-en-v1.5: the ONNX file and the imported HF directory. */
    record Imported(Path onnx, Path dir) {}

    static synchronized Imported imported(String name) {
        Path cache = TestResources.cacheDir().resolve("onnx").resolve(name);
        Path onnx = TestResources.copyResource(name + ".onnx", cache.resolve(name + ".onnx"));
        Path tokenizer = TestResources.copyResource(name + "-tokenizer.json", cache.resolve("tokenizer.json"));
        Path dir = cache.resolve("hf");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            try (NDManager m = NDManager.newBaseManager()) {
                OnnxBertImporter.importTo(onnx, tokenizer, dir, m);
            }
        }
        return new Imported(onnx, dir);
    }

    static BertModel load(Path dir, ModelOptions options, NDManager manager) {
        try (SafetensorsReader r = SafetensorsReader.open(dir)) {
            Map<String, Object> config = dev.winnow.core.model.ModelDirectory.of(dir).config();
            return new BertModel(BertConfig.parse(config, dir.resolve("config.json")), config, r.loadAll(manager), options, manager, dir);
        }
    }

    static ModelOptions embedding(String pooling) {
        return ModelOptions.of(Task.EMBEDDING).withPooling(pooling);
    }

    static ModelOptions reranker() {
        return ModelOptions.of(Task.RERANKER).withNormalize(false);
    }

    /** {@code options} computing with {@code kernels} in {@code precision}. */
    static ModelOptions on(ModelOptions options, KernelMode kernels, Precision precision) {
        return options.withKernels(kernels, precision);
    }

    /** A tiny config: 2 layers, hidden 16, 2 heads. */
    static Map<String, Object> tinyConfig(String modelType) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", modelType);
        c.put("vocab_size", 50);
        c.put("hidden_size", 16);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 2);
        c.put("intermediate_size", 32);
        c.put("max_position_embeddings", 40);
        c.put("type_vocab_size", modelType.equals("bert") ? 2 : 1);
        c.put("pad_token_id", modelType.equals("bert") ? 0 : 1);
        c.put("hidden_act", "gelu");
        c.put("layer_norm_eps", 1e-5);
        return c;
    }

    /** Seeded random weights for every tensor of the config (encoder and the task's head), in {@code type}. */
    static Map<String, NDArray> tinyWeights(BertConfig c, Task task, NDManager m, ai.djl.ndarray.types.DataType type, long seed) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        List<String> names = new java.util.ArrayList<>(BertWeights.encoder(c));
        if (task == Task.RERANKER) {
            names.addAll(BertWeights.classificationHead(c));
        }
        int i = 0;
        for (String n : names) {
            Shape shape = shapeOf(c, n);
            NDArray a = n.endsWith("LayerNorm.weight")
                    ? m.ones(shape).add(m.create(Ops.normal(shape.size(), 0.1, seed + i), shape))
                    : m.create(Ops.normal(shape.size(), 0.2, seed + i), shape);
            w.put(n, a.toType(type, false));
            i++;
        }
        return w;
    }

    static Shape shapeOf(BertConfig c, String n) {
        long h = c.hiddenSize();
        if (n.equals("embeddings.word_embeddings.weight")) {
            return new Shape(c.vocabSize(), h);
        }
        if (n.equals("embeddings.position_embeddings.weight")) {
            return new Shape(c.maxPositionEmbeddings(), h);
        }
        if (n.equals("embeddings.token_type_embeddings.weight")) {
            return new Shape(c.typeVocabSize(), h);
        }
        if (n.contains("intermediate.dense.weight")) {
            return new Shape(c.intermediateSize(), h);
        }
        if (n.contains("intermediate.dense.bias")) {
            return new Shape(c.intermediateSize());
        }
        if (n.matches("encoder\\.layer\\.\\d+\\.output\\.dense\\.weight")) {
            return new Shape(h, c.intermediateSize());
        }
        if (n.equals("classifier.weight") || n.equals("classifier.out_proj.weight")) {
            return new Shape(1, h);
        }
        if (n.equals("classifier.bias") || n.equals("classifier.out_proj.bias")) {
            return new Shape(1);
        }
        return n.endsWith(".weight") && !n.contains("LayerNorm") ? new Shape(h, h) : new Shape(h);
    }
}
