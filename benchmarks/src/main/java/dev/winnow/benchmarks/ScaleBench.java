package dev.winnow.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.AnswerTokenIds;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.model.MavenModelSource;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.AdamW;
import dev.winnow.nn.Checkpointing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code checkpointing}: the Qwen3-0.6B-shaped full training step (AdamW) at batch 4 x 256 with and without activation
 * checkpointing, in one process: peak resident memory of each (the kernel's high-water mark, reset between the two
 * through /proc/self/clear_refs) and median step time, with the recompute cost expressed in forward passes. Layers:
 * -Dqwen3.layers (28 in the real model); kernels and precision: -Dscale.kernels (auto), -Dscale.precision (fp32).
 */
final class ScaleBench {
    private ScaleBench() {}

    static void checkpointing() throws Exception {
        int b = Integer.getInteger("scale.batch", 4);
        int len = Integer.getInteger("scale.length", 256);
        int layers = Bench.LAYERS;
        KernelMode kernels = KernelMode.valueOf(System.getProperty("scale.kernels", "auto").toUpperCase(Locale.ROOT));
        Precision precision = Precision.valueOf(System.getProperty("scale.precision", "fp32").toUpperCase(Locale.ROOT));
        try (NDManager m = NDManager.newBaseManager()) {
            WinnowModel model = qwen3Shaped(m, layers, kernels, precision);
            long[] ids = new long[b * len];
            Random r = new Random(3);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(150000);
            }
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            Shape shape = new Shape(b, len);
            JniUtils.setGradMode(false);
            double forward = Bench.time(2, () -> {
                try (NDManager s = m.newSubManager()) {
                    model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), false).toFloatArray();
                }
            });
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            JniUtils.setGradMode(true);
            // checkpointed first: memory that the allocator keeps after the larger run would otherwise count as the
            // smaller run's resident peak (glibc returns little of it to the kernel)
            double[] ck = measure(m, model, opt, ids, mask, shape, 1);
            double[] kept = measure(m, model, opt, ids, mask, shape, 0);
            System.out.printf(Locale.ROOT, "checkpointing, qwen3-0.6B-shaped %d layers %dx%d %s %s, full AdamW step: "
                    + "without %.2f s, peak RSS %.2f GB; with (every layer) %.2f s, peak RSS %.2f GB; forward %.2f s%n",
                    layers, b, len, kernels.name().toLowerCase(Locale.ROOT), precision.name().toLowerCase(Locale.ROOT),
                    kept[0], kept[1] / 1e9, ck[0], ck[1] / 1e9, forward);
            System.out.printf(Locale.ROOT, "checkpointing ratios: step time %.2fx, recompute %.2f forward passes "
                    + "(expected about 1), peak RSS %.2fx (the weights, gradients and AdamW state stay)%n",
                    ck[0] / kept[0], (ck[0] - kept[0]) / forward, ck[1] / kept[1]);
        }
    }

    /** Median step seconds (after a warm-up step) and the peak RSS bytes of those steps. */
    private static double[] measure(NDManager m, WinnowModel model, AdamW opt, long[] ids, long[] mask, Shape shape, int every)
            throws Exception {
        Runnable step = () -> {
            try (NDManager s = m.newSubManager();
                    Checkpointing.Session ck = every > 0 ? Checkpointing.open(every, true) : null;
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray scores = model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), true);
                Checkpointing.backward(gc, scores.neg().exp().add(1f).log().mean()); // -log sigmoid(score)
            }
            opt.step(1e-5);
            opt.zeroGrad();
        };
        step.run(); // warm-up: allocator pools and the optimizer state exist before the peak is reset
        System.gc();
        resetPeak();
        double seconds = Bench.time(2, step);
        return new double[] {seconds, peakRss()};
    }

    private static void resetPeak() throws Exception {
        Path clear = Path.of("/proc/self/clear_refs");
        if (Files.isWritable(clear)) {
            Files.writeString(clear, "5"); // resets VmHWM to the current RSS (Linux)
        }
    }

    private static double peakRss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return Double.NaN;
    }

    /** The Qwen3-0.6B shape (hidden 1024, 16 heads over 8 key/value heads, head_dim 128, tied 151669-token embeddings). */
    static WinnowModel qwen3Shaped(NDManager m, int layers, KernelMode kernels, Precision precision) {
        Path dir = MavenModelSource.cacheHome().resolve("bench/qwen3-0.6b-shaped");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "qwen3");
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        c.put("vocab_size", 151669);
        c.put("hidden_size", 1024);
        c.put("intermediate_size", 3072);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", 16);
        c.put("num_key_value_heads", 8);
        c.put("head_dim", 128);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("tie_word_embeddings", true);
        c.put("hidden_act", "silu");
        Map<String, NDArray> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", m.randomNormal(0, 0.02f, new Shape(151669, 1024), DataType.FLOAT32));
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "self_attn.q_proj.weight", m.randomNormal(0, 0.02f, new Shape(2048, 1024), DataType.FLOAT32));
            w.put(p + "self_attn.k_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 1024), DataType.FLOAT32));
            w.put(p + "self_attn.v_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 1024), DataType.FLOAT32));
            w.put(p + "self_attn.o_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 2048), DataType.FLOAT32));
            w.put(p + "self_attn.q_norm.weight", m.ones(new Shape(128)));
            w.put(p + "self_attn.k_norm.weight", m.ones(new Shape(128)));
            w.put(p + "input_layernorm.weight", m.ones(new Shape(1024)));
            w.put(p + "post_attention_layernorm.weight", m.ones(new Shape(1024)));
            w.put(p + "mlp.gate_proj.weight", m.randomNormal(0, 0.02f, new Shape(3072, 1024), DataType.FLOAT32));
            w.put(p + "mlp.up_proj.weight", m.randomNormal(0, 0.02f, new Shape(3072, 1024), DataType.FLOAT32));
            w.put(p + "mlp.down_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 3072), DataType.FLOAT32));
        }
        w.put("model.norm.weight", m.ones(new Shape(1024)));
        ComponentRegistry registry = ComponentRegistry.discover();
        var arch = new ModelLoader(registry).architecture(new ModelDirectory(dir, c), "auto");
        return arch.create(dir, c, w, ModelOptions.of(Task.GENERATIVE_RERANKER).withNormalize(false)
                .withAnswerTokens(new AnswerTokenIds(9693, 2152)).withKernels(kernels, precision), m);
    }
}
