package dev.winnow.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import dev.winnow.core.parallel.DataParallel;
import dev.winnow.core.parallel.DeviceList;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.AdamW;
import dev.winnow.core.train.GradClipper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code parallel}: the MiniLM-L6 cross-encoder training step (forward, listwise loss, backward, clipping, AdamW) at
 * 32 x 128 on one replica and on two ({@code devices.strategy: data_parallel}'s split forward, gradient sum and refresh),
 * the same global batch. Devices: -Dparallel.devices (default gpu:0,gpu:1 where two GPUs are visible, else cpu,cpu:
 * two replicas sharing the CPU's cores, so the figure is the overhead of splitting, summing and copying, not a speed-up).
 */
final class ParallelBench {
    private ParallelBench() {}

    static void run() {
        int gpus = Engine.getInstance().getGpuCount();
        String names = System.getProperty("parallel.devices", gpus >= 2 ? "gpu:0,gpu:1" : "cpu,cpu");
        List<Device> devices = DeviceList.resolve(Arrays.asList(names.split(",")));
        double one = step(devices.subList(0, 1), 10);
        double two = step(devices, 10);
        System.out.printf(Locale.ROOT, "data_parallel MiniLM-L6 cross-encoder %dx%d training step: 1 replica (%s) %.1f ms, "
                + "%d replicas (%s) %.1f ms, time ratio %.2f%n", Bench.BATCH, Bench.LENGTH, devices.get(0), one * 1e3,
                devices.size(), devices, two * 1e3, two / one);
        if (!devices.get(0).isGpu()) {
            System.out.println("  (replicas on the CPU share its cores: the ratio above 1.00 is the cost of splitting, summing and"
                    + " copying; GPUs would divide the compute)");
        }
    }

    /** Median seconds of one training step over {@code devices} (one device: the model alone). */
    private static double step(List<Device> devices, int n) {
        Path dir = MavenModelSource.resolve(Bench.MINILM);
        ComponentRegistry registry = ComponentRegistry.discover();
        ModelOptions options = ModelOptions.of(Task.RERANKER).withNormalize(false);
        try (NDManager m = NDManager.newBaseManager(devices.get(0))) {
            WinnowModel model = new ModelLoader(registry).load(ModelDirectory.of(dir), "auto", options, m);
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            DataParallel dp = devices.size() < 2 ? null : DataParallel.create(model, model.parameters(), devices, 50, d -> {
                NDManager rm = NDManager.newBaseManager(d);
                WinnowModel r = new ModelLoader(registry).load(ModelDirectory.of(dir), "auto", options, rm);
                return new DataParallel.Replica(r, r.parameters(), rm);
            });
            WinnowModel run = dp == null ? model : dp.model();
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            if (dp != null) {
                dp.synchronize(0);
            }
            JniUtils.setGradMode(true);
            TokenBatch b = Bench.batch(m, 2);
            long[] ids = b.inputIds().toLongArray();
            long[] mask = b.attentionMask().toLongArray();
            long[] types = b.tokenTypeIds().toLongArray();
            Shape shape = new Shape(Bench.BATCH, Bench.LENGTH);
            long[] steps = {0};
            double seconds = Bench.time(n, () -> {
                try (NDManager s = m.newSubManager()) {
                    TokenBatch local = new TokenBatch(s.create(ids, shape), s.create(mask, shape), s.create(types, shape));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray scores = run.forward(local, true).reshape(4, 8);
                        gc.backward(scores.logSoftmax(1).get(":, 0").neg().mean());
                    }
                    if (dp != null) {
                        dp.reduceGradients();
                    }
                    GradClipper.clip(trainable, 1.0);
                    opt.step(2e-5);
                    opt.zeroGrad();
                    if (dp != null) {
                        dp.synchronize(++steps[0]);
                    }
                }
            });
            if (dp != null) {
                dp.close();
            }
            return seconds;
        }
    }
}
