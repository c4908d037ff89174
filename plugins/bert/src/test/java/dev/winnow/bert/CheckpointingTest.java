package dev.winnow.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.testing.CheckpointParity;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Activation checkpointing gives the gradients of the kept-activation pass, with dropout live (fp32, 1e-6 of scale). */
class CheckpointingTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    private static BertModel tiny(NDManager m, Task task) {
        Map<String, Object> json = BertFixtures.tinyConfig("bert");
        json.put("num_hidden_layers", 3);
        json.put("hidden_dropout_prob", 0.1);
        json.put("attention_probs_dropout_prob", 0.1);
        BertConfig c = BertConfig.parse(json, Path.of("config.json"));
        var options = task == Task.RERANKER ? BertFixtures.reranker() : BertFixtures.embedding("mean");
        return new BertModel(c, json, BertFixtures.tinyWeights(c, task, m, DataType.FLOAT32, 5), options, m, Path.of("tiny"));
    }

    private static TokenBatch batch(NDManager m) {
        return Batches.pad(List.of(new Encoded(new long[] {2, 5, 9, 3, 7, 8, 3}, new long[] {0, 0, 0, 0, 1, 1, 1}, false),
                new Encoded(new long[] {2, 11, 3, 4}, new long[] {0, 0, 0, 1}, false),
                new Encoded(new long[] {2, 13, 14, 3, 6}, new long[] {0, 0, 0, 1, 1}, false)), 0, false, m);
    }

    private static Map<String, NDArray> trainable(java.util.Collection<Parameter> all) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Parameter p : all) {
            if (p.trainable()) {
                out.put(p.name(), p.array());
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void fullFineTuningCrossEncoder(int every) {
        try (NDManager m = NDManager.newBaseManager()) {
            BertModel model = tiny(m, Task.RERANKER);
            TokenBatch batch = batch(m);
            NDArray weights = m.create(new float[] {0.7f, -1.3f, 0.4f});
            CheckpointParity.check(trainable(model.parameters().all()), every, 3, 1e-6, true,
                    () -> model.forward(batch, true).mul(weights).sum());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void loraEmbedding(int every) {
        try (NDManager m = NDManager.newBaseManager()) {
            BertModel model = tiny(m, Task.EMBEDDING);
            Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.1, List.of("all-linear"), 3), m);
            int i = 0;
            for (var a : lora.adapters().values()) {
                a.b().set(Ops.normal(a.b().size(), 0.2, 50 + i++)); // B = 0 would leave A without gradient
            }
            TokenBatch batch = batch(m);
            CheckpointParity.check(trainable(lora.parameters().all()), every, 3, 1e-6, true, () -> {
                NDArray e = model.forward(batch, true);
                return e.matMul(e.transpose()).sum(); // pairwise similarities couple the rows
            });
        }
    }
}
