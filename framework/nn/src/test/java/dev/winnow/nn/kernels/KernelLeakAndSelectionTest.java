package dev.winnow.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.UserException;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KernelLeakAndSelectionTest {

    @Test
    void modeParsesRecipeValuesAndRejectsOthers() {
        assertEquals(KernelMode.AUTO, KernelMode.parse("auto"));
        assertEquals(KernelMode.TORCHSCRIPT, KernelMode.parse(" TorchScript "));
        UserException e = assertThrows(UserException.class, () -> KernelMode.parse("fast"));
        assertTrue(e.getMessage().contains("auto, composed, torchscript"), e.getMessage());
    }

    @Test
    void selectionFollowsModeAndPrecision() {
        assertSame(ComposedKernels.INSTANCE, Kernels.select(KernelMode.COMPOSED, Precision.FP32));
        assertSame(TorchScriptKernels.FP32, Kernels.select(KernelMode.AUTO, Precision.FP32));
        assertSame(TorchScriptKernels.BF16, Kernels.select(KernelMode.AUTO, Precision.BF16));
        assertSame(TorchScriptKernels.BF16, Kernels.select(KernelMode.TORCHSCRIPT, Precision.BF16));
        assertSame(TorchScriptKernels.FP16, Kernels.select(KernelMode.TORCHSCRIPT, Precision.FP16));
        UserException fp16 = assertThrows(UserException.class,
                () -> Kernels.select(KernelMode.COMPOSED, Precision.FP16));
        assertTrue(fp16.getMessage().contains("fp16") && fp16.getMessage().contains("kernels: composed"), fp16.getMessage());
        UserException e = assertThrows(UserException.class,
                () -> Kernels.select(KernelMode.COMPOSED, Precision.BF16));
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
    }

    @Test
    void shapeMistakesAreNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.zeros(new Shape(1, 3, 2, 4));
            NDArray k = m.zeros(new Shape(1, 2, 2, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TorchScriptKernels.FP32.attention(q, k, k, null, false, 0, false));
            assertTrue(e.getMessage().contains("multiple of Hkv"), e.getMessage());
        }
    }

    /**
     * Kernel calls with gradients, each in its own manager, must not grow native memory in the steady
     * state. The allocator's pools fill during the first ten thousand or so calls (the million-call
     * run, {@code KernelBench leak 1000000}, plateaus after that), so growth is measured over a
     * second window of 10,000 calls: leaking even one 8 KiB array per call would add 80 MiB there;
     * the bound is 48 MiB of resident memory beyond the Java heap.
     */
    @Test
    void twentyThousandCallsDoNotGrowNativeMemory() {
        Kernels k = TorchScriptKernels.FP32;
        loop(k, 2_000); // warm up: module cache, allocator pools, JIT
        loop(k, 10_000); // the allocator's pools keep filling for a while
        long before = settled(k);
        loop(k, 10_000);
        long grown = settled(k) - before;
        assertTrue(grown < 48L << 20, "native memory grew by " + (grown >> 20) + " MiB over 10,000 steady-state calls");
    }

    /**
     * The least of three samples of {@link #nativeBytes}, 500 calls apart: malloc arenas make a
     * single sample swing by about 40 MiB on a steady loop, the minimum much less.
     */
    static long settled(Kernels k) {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            loop(k, 500);
            least = Math.min(least, nativeBytes());
        }
        return least;
    }

    /** Runs rmsNorm forward and backward {@code n} times; returns the last loss. */
    static float loop(Kernels k, int n) {
        float last = 0;
        float[] data = new float[8 * 256];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i % 17) * 0.1f - 0.8f;
        }
        for (int i = 0; i < n; i++) {
            try (NDManager m = NDManager.newBaseManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = m.create(data, new Shape(8, 256));
                NDArray w = m.ones(new Shape(256));
                x.setRequiresGradient(true);
                NDArray loss = k.rmsNorm(x, w, 1e-6).square().sum();
                gc.backward(loss);
                if (i == n - 1) {
                    last = loss.getFloat();
                }
            }
        }
        return last;
    }

    /** Resident set size minus the committed Java heap, after a collection. */
    static long nativeBytes() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rss() - rt.totalMemory();
    }

    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
