package dev.winnow.benchmarks;

import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * {@code fused}: all-MiniLM-L6-v2 inference at 32 x 128 with each encoder layer as one fused TorchScript module
 * (the TorchScript kernels' inference path) against the composed reference and ONNX Runtime fp32, same inputs and
 * thread count, with the load average before and after (the machine is shared).
 */
final class FusedBench {
    private FusedBench() {}

    static void run() throws Exception {
        double before = load();
        double ort = Bench.ortInference();
        System.out.printf(Locale.ROOT, "fused | MiniLM-L6 inference %dx%d | ORT fp32 | %.1f ms | %.1f seq/s%n", Bench.BATCH, Bench.LENGTH,
                ort * 1e3, Bench.BATCH / ort);
        for (Bench.Variant v : List.of(new Bench.Variant(KernelMode.COMPOSED, Precision.FP32),
                new Bench.Variant(KernelMode.TORCHSCRIPT, Precision.FP32), new Bench.Variant(KernelMode.TORCHSCRIPT, Precision.BF16))) {
            double s = Bench.winnowInference(v);
            String label = v.mode() == KernelMode.TORCHSCRIPT ? "fused " + v.precision().name().toLowerCase(Locale.ROOT) : v.toString();
            System.out.printf(Locale.ROOT, "fused | MiniLM-L6 inference %dx%d | %s | %.1f ms | %.1f seq/s | Winnow/ORT %.2f%n",
                    Bench.BATCH, Bench.LENGTH, label, s * 1e3, Bench.BATCH / s, ort / s);
        }
        System.out.printf(Locale.ROOT, "load average: %.2f before, %.2f after%n", before, load());
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
