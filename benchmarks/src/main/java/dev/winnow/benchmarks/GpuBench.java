package dev.winnow.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.util.cuda.CudaUtils;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.train.AdamW;
import dev.winnow.nn.Checkpointing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code gpu}: on the first GPU, the kernels table ({@code kernels}, which runs on DJL's default device: the first GPU
 * once the CUDA natives of {@code -Pcuda} are loaded) and the Qwen3-0.6B-shaped full bf16 training step (TorchScript
 * kernels, AdamW) at -Dgpu.batch x -Dgpu.length (4 x 256) with and without activation checkpointing: median step time
 * and the device memory in use after each (the caching allocator keeps its high-water mark reserved, and the
 * checkpointed step runs first, so each figure is that variant's peak reservation). Refuses on a machine without a GPU.
 */
final class GpuBench {
    private GpuBench() {}

    static void run(double roofline) throws Exception {
        int gpus = Engine.getInstance().getGpuCount();
        if (gpus == 0) {
            System.err.println("benchmarks/run gpu: PyTorch sees no GPU (libtorch " + Engine.getInstance().getVersion()
                    + "). Build with the CUDA natives and run on a CUDA machine: mvn -B -Pcuda -DskipTests -pl benchmarks -am package,"
                    + " then WINNOW_MAVEN_ARGS=-Pcuda benchmarks/run gpu (README \"GPU\")");
            System.exit(2);
        }
        Device gpu = Device.gpu(0);
        System.out.println("gpu: " + gpus + " GPU(s) visible; measuring on " + gpu + ", default device " + Engine.getInstance().defaultDevice());
        Bench.kernels(roofline);
        int b = Integer.getInteger("gpu.batch", 4);
        int len = Integer.getInteger("gpu.length", 256);
        int layers = Bench.LAYERS;
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            WinnowModel model = ScaleBench.qwen3Shaped(m, layers, KernelMode.TORCHSCRIPT, Precision.BF16);
            long[] ids = new long[b * len];
            Random r = new Random(3);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(150000);
            }
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            Shape shape = new Shape(b, len);
            List<Parameter> trainable = new ArrayList<>(model.parameters().trainable());
            trainable.forEach(p -> p.array().setRequiresGradient(true));
            AdamW opt = new AdamW(trainable, new AdamW.Options(0.01, 0.9, 0.999, 1e-8), m);
            JniUtils.setGradMode(true);
            double[] ck = measure(m, gpu, model, opt, ids, mask, shape, 1);
            double[] kept = measure(m, gpu, model, opt, ids, mask, shape, 0);
            System.out.printf(Locale.ROOT, "gpu checkpointing, qwen3-0.6B-shaped %d layers %dx%d torchscript bf16 on %s, full AdamW step: "
                    + "without %.1f ms, %.2f GB in use; with (every layer) %.1f ms, %.2f GB in use; step time %.2fx, memory %.2fx%n",
                    layers, b, len, gpu, kept[0] * 1e3, kept[1] / 1e9, ck[0] * 1e3, ck[1] / 1e9, ck[0] / kept[0], ck[1] / kept[1]);
        }
    }

    /** Median step seconds (after warm-up steps) and the device memory in use after them. */
    private static double[] measure(NDManager m, Device gpu, WinnowModel model, AdamW opt, long[] ids, long[] mask, Shape shape, int every) {
        Runnable step = () -> {
            try (NDManager s = m.newSubManager();
                    Checkpointing.Session ck = every > 0 ? Checkpointing.open(every, true) : null;
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray scores = model.forward(new TokenBatch(s.create(ids, shape), s.create(mask, shape), null), true);
                Checkpointing.backward(gc, scores.neg().exp().add(1f).log().mean()); // -log sigmoid(score)
            }
            opt.step(1e-5);
            opt.zeroGrad();
            try (NDManager s = m.newSubManager()) {
                s.zeros(new Shape(1)).toFloatArray(); // waits for the queued kernels: the timing covers the whole step
            }
        };
        double seconds = Bench.time(5, step);
        return new double[] {seconds, CudaUtils.getGpuMemory(gpu).getUsed()};
    }
}
