package dev.winnow.nn.kernels;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Manual benchmark (not a test): forward+backward milliseconds of the composed, TorchScript and
 * TorchScript-bf16 kernels, and the million-call native-memory check.
 *
 * <pre>
 * mvn -B -o -q -pl framework/core -am install -DskipTests
 * cd framework/core &amp;&amp; mvn -B -o -q dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp target/classes:target/test-classes:$(cat /tmp/cp.txt) dev.winnow.nn.kernels.KernelBench
 * java -cp ... dev.winnow.nn.kernels.KernelBench leak 1000000 [composed]
 * </pre>
 *
 * <p>Measured on the 2-core CPU build machine: native memory rises about 240 MiB over the first
 * 100k calls and then stays flat (within 6 MiB) up to a million calls; the composed DJL kernels
 * show the same plateau, so it is libtorch's and malloc's working set, not a per-call leak
 * (which would grow linearly).
 */
public final class KernelBench {

    private KernelBench() {}

    public static void main(String[] args) {
        if (args.length >= 2 && args[0].equals("leak")) {
            Kernels k = args.length == 3 && args[2].equals("composed")
                    ? ComposedKernels.INSTANCE : TorchScriptKernels.FP32;
            leak(k, Integer.parseInt(args[1]));
            return;
        }
        List<Kernels> all = List.of(ComposedKernels.INSTANCE, TorchScriptKernels.FP32,
                TorchScriptKernels.BF16);
        Shape a = new Shape(32, 12, 128, 32);
        for (Kernels k : all) {
            report("attention 32x12x128x32 fwd+bwd", k, List.of(a, a, a),
                    (kk, in) -> kk.attention(in.get(0), in.get(1), in.get(2), null, false, 0, true));
        }
        for (Kernels k : all) {
            report("attention causal 32x12x128x32 fwd+bwd", k, List.of(a, a, a),
                    (kk, in) -> kk.attention(in.get(0), in.get(1), in.get(2), null, true, 0, true));
        }
        Shape x = new Shape(32, 128, 1024);
        for (Kernels k : all) {
            report("rmsNorm 32x128x1024 fwd+bwd", k, List.of(x, new Shape(1024)),
                    (kk, in) -> kk.rmsNorm(in.get(0), in.get(1), 1e-6));
        }
        for (Kernels k : all) {
            report("linear 4096x384 -> 1536 fwd+bwd", k,
                    List.of(new Shape(4096, 384), new Shape(1536, 384), new Shape(1536)),
                    (kk, in) -> kk.linear(in.get(0), in.get(1), in.get(2)));
        }
    }

    private static void report(String what, Kernels k, List<Shape> shapes,
            BiFunction<Kernels, NDList, NDArray> f) {
        double[] ms = new double[10];
        for (int i = -3; i < ms.length; i++) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDList in = new NDList();
                for (Shape s : shapes) {
                    NDArray arr = m.randomNormal(s);
                    arr.setRequiresGradient(true);
                    in.add(arr);
                }
                long t0 = System.nanoTime();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(f.apply(k, in).sum());
                }
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        System.out.printf("%-40s %-18s median %8.2f ms  min %8.2f ms%n", what, k, ms[ms.length / 2], ms[0]);
    }

    private static void leak(Kernels k, int calls) {
        KernelLeakAndSelectionTest.loop(k, 2_000);
        long before = KernelLeakAndSelectionTest.settled(k);
        long t0 = System.nanoTime();
        for (int done = 0; done < calls; done += 100_000) {
            KernelLeakAndSelectionTest.loop(k, Math.min(100_000, calls - done));
            System.out.printf("%d calls: native memory %+d MiB%n", Math.min(done + 100_000, calls),
                    (KernelLeakAndSelectionTest.nativeBytes() - before) >> 20);
        }
        long grown = KernelLeakAndSelectionTest.settled(k) - before;
        System.out.printf("%d %s rmsNorm forward+backward calls in %.0f s: native memory grew %d MiB%n",
                calls, k, (System.nanoTime() - t0) / 1e9, grown >> 20);
    }
}
