package dev.winnow.qwen3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.testing.CheckpointParity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Activation checkpointing gives the gradients of the kept-activation pass (fp32, 1e-6 of scale). Qwen3 itself has no
 * dropout; the LoRA case has live adapter dropout inside the checkpointed layers.
 */
class CheckpointingTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
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
    void fullFineTuningGenerativeReranker(int every) {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            TokenBatch batch = Batches.pad(Qwen3ModelTest.INPUTS, 0, true, m);
            CheckpointParity.check(trainable(model.parameters().all()), every, 2, 1e-6, false,
                    () -> model.forward(batch, true).square().sum());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void loraWithAdapterDropout(int every) {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.1, List.of("all-linear"), 3), m);
            int i = 0;
            for (var a : lora.adapters().values()) {
                a.b().set(Ops.normal(a.b().size(), 0.5, 77 + i++));
            }
            TokenBatch batch = Batches.pad(Qwen3ModelTest.INPUTS, 0, true, m);
            CheckpointParity.check(trainable(lora.parameters().all()), every, 2, 1e-6, true,
                    () -> model.forward(batch, true).square().sum());
        }
    }
}
