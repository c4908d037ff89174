package dev.winnow.nn.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.winnow.api.UserException;
import org.junit.jupiter.api.Test;

class WinnowEngineTest {
    @Test
    void loadsTheCpuNativesOfflineAndRunsAutograd() {
        var engine = WinnowEngine.start();
        assertEquals("PyTorch", engine.getEngineName());
        assertEquals("true", System.getProperty("ai.djl.offline"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = engine.newGradientCollector()) {
                gc.backward(x.square().sum());
            }
            assertArrayEquals(new float[] {2, 4, 6}, x.getGradient().toFloatArray());
        }
    }

    @Test
    void cpuAndAutoDevicesResolveAndBadNamesAreUserErrors() {
        assertEquals(Device.cpu(), WinnowEngine.device("cpu"));
        Device auto = WinnowEngine.device("auto");
        assertTrue(auto.equals(Device.cpu()) || auto.isGpu());
        var e = assertThrows(UserException.class, () -> WinnowEngine.device("tpu"));
        assertEquals("unknown device 'tpu'; valid: auto, cpu, gpu, gpu:N", e.getMessage());
    }

    @Test
    void nativeFailureIsOneLineNamingTheJar() {
        String msg = WinnowEngine.nativeFailure(new IllegalStateException("outer",
                new UnsatisfiedLinkError("libtorch_cpu.so: cannot open shared object file\nmore")));
        assertEquals(1, msg.lines().count());
        assertTrue(msg.startsWith("cannot load PyTorch's native library (libtorch_cpu.so: cannot open shared object file)"), msg);
        assertTrue(msg.contains("pytorch-native-cpu"), msg);
    }
}
