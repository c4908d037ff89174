package dev.winnow.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.lora.Lora;
import dev.winnow.nn.Ops;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.weights.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    static float[] scores(Qwen3Model model, TokenBatch batch) {
        return model.forward(batch, false).toFloatArray();
    }

    @Test
    void zeroBEqualsTheBaseAndMergedEqualsUnmerged(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            TokenBatch batch = Batches.pad(Qwen3ModelTest.INPUTS, 0, true, m);
            float[] base = scores(model, batch);
            Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.0, List.of("all-linear"), 3), m);
            assertEquals(14, lora.adapters().size()); // 7 projections x 2 layers
            float[] zeroB = scores(model, batch);
            for (int i = 0; i < base.length; i++) {
                assertEquals(base[i], zeroB[i], 1e-6, "B = 0: the adapted model is the base model");
            }
            // base frozen, adapters trainable
            for (Parameter p : lora.parameters().all()) {
                assertEquals(p.name().contains(".lora_"), p.trainable(), p.name());
            }
            // give B values, as training would
            int i = 0;
            for (var a : lora.adapters().values()) {
                a.b().set(Ops.normal(a.b().size(), 0.5, 77 + i++));
            }
            float[] unmerged = scores(model, batch);
            assertTrue(Math.abs(unmerged[0] - base[0]) > 1e-3, "the adapters change the scores");
            lora.save(dir, "tiny-qwen3");
            lora.merge();
            float[] merged = scores(model, batch);
            for (int k = 0; k < merged.length; k++) {
                assertEquals(unmerged[k], merged[k], 2e-4 * Math.max(1, Math.abs(unmerged[k])), "merged equals unmerged");
            }
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
                assertTrue(r.names().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), r.names().toString());
                assertTrue(r.names().contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
                NDArray a = r.load("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", m);
                assertEquals(List.of(4L, 32L), List.of(a.getShape().get(0), a.getShape().get(1)));
            }
            Map<?, ?> config = new ObjectMapper().readValue(dir.resolve("adapter_config.json").toFile(), Map.class);
            assertEquals("LORA", config.get("peft_type"));
            assertEquals("CAUSAL_LM", config.get("task_type"));
            assertEquals(4, config.get("r"));
            assertEquals(List.of("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"), config.get("target_modules"));
        }
    }

    @Test
    void namedTargetsAndUnknownTargets() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            Lora lora = Lora.apply(model, new Lora.Config(2, 4, 0.0, List.of("q_proj", "v_proj"), 1), m);
            assertEquals(4, lora.adapters().size());
            assertFalse(lora.adapters().containsKey("model.layers.0.mlp.up_proj"));
            Qwen3Model other = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            UserException e = assertThrows(UserException.class,
                    () -> Lora.apply(other, new Lora.Config(2, 4, 0.0, List.of("query"), 1), m));
            assertEquals("train.target_modules [query] match no linear layer of the qwen3 model; its layers: all-linear, "
                    + "down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj", e.getMessage());
        }
    }

    /** Autograd through the adapters (A and B of one projection) against central differences, in float32. */
    @Test
    void adapterGradientsMatchFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Qwen3Model model = Qwen3ModelTest.tiny(m, Task.GENERATIVE_RERANKER, DataType.FLOAT32);
            TokenBatch batch = Batches.pad(Qwen3ModelTest.INPUTS, 0, true, m);
            Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.0, List.of("v_proj"), 5), m);
            int seed = 0;
            for (var a : lora.adapters().values()) {
                a.b().set(Ops.normal(a.b().size(), 0.1, 300 + seed++));
            }
            var adapter = lora.adapters().get("model.layers.0.self_attn.v_proj");
            for (NDArray p : List.of(adapter.a(), adapter.b())) {
                p.setRequiresGradient(true);
                try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    gc.backward(model.forward(batch, false).sum());
                }
                float[] grad = p.getGradient().toFloatArray();
                float[] values = p.toFloatArray();
                for (int i : new int[] {0, values.length / 2, values.length - 1}) {
                    float h = 1e-2f;
                    float orig = values[i];
                    values[i] = orig + h;
                    p.set(values);
                    double plus = model.forward(batch, false).sum().getFloat();
                    values[i] = orig - h;
                    p.set(values);
                    double minus = model.forward(batch, false).sum().getFloat();
                    values[i] = orig;
                    p.set(values);
                    assertEquals((plus - minus) / (2 * h), grad[i], 2e-3 + 2e-2 * Math.abs(grad[i]), "adapter [" + i + "]");
                }
                p.setRequiresGradient(false);
            }
        }
    }
}
