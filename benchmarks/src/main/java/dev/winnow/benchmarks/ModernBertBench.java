package dev.winnow.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.model.MavenModelSource;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.AdamW;
import dev.winnow.nn.Checkpointing;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code modernbert}: a ModernBERT-base-shaped cross-encoder (gte-reranker-modernbert-base's config: 22 layers, hidden
 * 768, 12 heads, GeGLU 1152, vocabulary 50368, a global layer every 3rd, window 128) with random weights, at batch 16 x
 * 512 tokens (-Dmodernbert.batch, -Dmodernbert.length, -Dmodernbert.layers to change): the inference forward (fused
 * TorchScript layers on the default kernels) and the full training step (forward, BCE, backward, AdamW), each with
 * tokens/s and MFU against the roofline measured in the same run. The training step checkpoints every layer
 * (train.gradient_checkpointing: true, what the recipe uses), so that 16 x 512 fits a shared CPU machine; its MFU counts
 * 3 forwards of model FLOPs, not the recomputed fourth. Model FLOPs count what attention needs: all keys on a global
 * layer, the 129 of the window on a local one (the masked implementation computes every key). The load average is
 * printed before and after (the machine is shared).
 */
final class ModernBertBench {
    private ModernBertBench() {}

    static void run(double roofline) throws Exception {
        int b = Integer.getInteger("modernbert.batch", 16);
        int len = Integer.getInteger("modernbert.length", 512);
        int layers = Integer.getInteger("modernbert.layers", 22);
        double before = load();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "modernbert");
        c.put("architectures", List.of("ModernBertForSequenceClassification"));
        c.put("vocab_size", 50368);
        c.put("hidden_size", 768);
        c.put("intermediate_size", 1152);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", 12);
        c.put("max_position_embeddings", 8192);
        c.put("global_attn_every_n_layers", 3);
        c.put("local_attention", 128);
        c.put("global_rope_theta", 160000.0);
        c.put("local_rope_theta", 10000.0);
        c.put("classifier_pooling", "mean");
        Path dir = MavenModelSource.cacheHome().resolve("bench/modernbert-base-shaped");
        ComponentRegistry registry = ComponentRegistry.discover();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            w.put("embeddings.tok_embeddings.weight", normal(m, 50368, 768));
            w.put("embeddings.norm.weight", m.ones(new Shape(768)));
            for (int i = 0; i < layers; i++) {
                String p = "layers." + i + ".";
                if (i != 0) {
                    w.put(p + "attn_norm.weight", m.ones(new Shape(768)));
                }
                w.put(p + "attn.Wqkv.weight", normal(m, 3 * 768, 768));
                w.put(p + "attn.Wo.weight", normal(m, 768, 768));
                w.put(p + "mlp_norm.weight", m.ones(new Shape(768)));
                w.put(p + "mlp.Wi.weight", normal(m, 2 * 1152, 768));
                w.put(p + "mlp.Wo.weight", normal(m, 768, 1152));
            }
            w.put("final_norm.weight", m.ones(new Shape(768)));
            var arch = new ModelLoader(registry).architecture(new ModelDirectory(dir, c), "auto");
            WinnowModel model = arch.create(dir, c, w, ModelOptions.of(Task.RERANKER).withNormalize(false), m); // fresh head
            long[] ids = new long[b * len];
            Random r = new Random(3);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(50000);
            }
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            Shape shape = new Shape(b, len);
            float[] labels = new float[b];
            for (int i = 0; i < b; i += 8) {
                labels[i] = 1f; // one positive, seven negatives
            }
            JniUtils.setGradMode(false);
            double forward = Bench.time(2, () -> {
                try (NDManager s = m.newSubManager()) {
                    model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), false).toFloatArray();
                }
            });
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.1, 0.9, 0.95, 1e-8), m);
            JniUtils.setGradMode(true);
            double step = Bench.time(1, () -> {
                try (NDManager s = m.newSubManager();
                        Checkpointing.Session session = Checkpointing.open(1, true);
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), true);
                    NDArray y = s.create(labels);
                    // pointwise BCE with logits: softplus(x) - y x
                    Checkpointing.backward(gc, logits.exp().add(1f).log().sub(logits.mul(y)).mean());
                }
                opt.step(6e-6);
                opt.zeroGrad();
            });
            double flops = model.forwardFlops(b, len);
            System.out.printf(Locale.ROOT, "modernbert-base-shaped %dx%d (%.3fB parameters, %d layers): forward %.0f tokens/s (%.2f s, "
                    + "MFU %.3f); training step (full, AdamW, checkpointed) %.0f tokens/s (%.2f s, MFU %.3f); roofline %.1f GFLOP/s; "
                    + "load average %.2f before, %.2f after%n", b, len, model.parameters().elementCount() / 1e9, layers, b * len / forward,
                    forward, flops / forward / roofline, b * len / step, step, 3 * flops / step / roofline, roofline / 1e9, before, load());
        }
    }

    private static NDArray normal(NDManager m, long rows, long cols) {
        return m.randomNormal(0, 0.02f, new Shape(rows, cols), DataType.FLOAT32);
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
