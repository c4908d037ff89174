package dev.winnow.deberta;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.testing.CheckpointParity;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Activation checkpointing gives DeBERTa the kept-activation gradients: full fine-tuning with every dropout of the model
 * live (embeddings, relative embeddings, attention probabilities, outputs, the head), and LoRA on every linear (the
 * relative projections included) with adapter dropout. On the composed kernels the two passes agree within 1e-6 of each
 * gradient's scale. On TorchScript kernels the bound is 1e-5: the relative terms enter SDPA as an additive mask that
 * requires grad, so libtorch runs its math kernel when a graph is recorded and its fused CPU kernel in the no-grad
 * first pass of a checkpointed segment, which round differently (measured: up to 1.5e-6 of scale).
 */
class CheckpointingTest {
    private static Map<String, NDArray> trainable(Collection<Parameter> all) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Parameter p : all) {
            if (p.trainable()) {
                out.put(p.name(), p.array());
            }
        }
        return out;
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"1,AUTO,1e-5", "2,COMPOSED,1e-6"})
    void fullFineTuningWithDropout(int every, KernelMode kernels, double tolerance) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Object> config = DebertaFixtures.config("v3");
            config.put("hidden_dropout_prob", 0.1);
            config.put("attention_probs_dropout_prob", 0.1);
            DebertaModel model = DebertaFixtures.model(config, DebertaFixtures.weights("v3", m, DataType.FLOAT32),
                    DebertaFixtures.reranker(kernels), m);
            TokenBatch batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, true, m);
            CheckpointParity.check(trainable(model.parameters().all()), every, 3, tolerance, true,
                    () -> model.forward(batch, true).square().sum());
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"1,AUTO,1e-5", "3,COMPOSED,1e-6"})
    void loraWithAdapterDropout(int every, KernelMode kernels, double tolerance) {
        try (NDManager m = NDManager.newBaseManager()) {
            DebertaModel model = DebertaFixtures.reranker("v2", m, DataType.FLOAT32, kernels);
            Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.1, List.of("all-linear"), 3), m);
            org.junit.jupiter.api.Assertions.assertTrue(lora.adapters().containsKey("encoder.layer.2.attention.self.pos_query_proj"),
                    lora.adapters().keySet().toString());
            int i = 0;
            for (var a : lora.adapters().values()) {
                a.b().set(Ops.normal(a.b().size(), 0.5, 77 + i++));
            }
            TokenBatch batch = Batches.pad(DebertaFixtures.rows(), DebertaFixtures.PAD, true, m);
            CheckpointParity.check(trainable(lora.parameters().all()), every, 3, tolerance, true,
                    () -> model.forward(batch, true).square().sum());
        }
    }
}
