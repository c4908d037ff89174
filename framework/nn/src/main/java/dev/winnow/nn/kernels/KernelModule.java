package dev.winnow.nn.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.WinnowException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One TorchScript module compiled by libtorch from code text, loaded once per (code, device) and
 * kept for the life of the JVM, so that a kernel call costs one native module call.
 *
 * <p>Calls record autograd when a gradient collector is open: gradients flow back to the DJL
 * input arrays. Outputs belong to the manager of the first input.
 */
public final class KernelModule {

    private record Key(String code, Device device) {}

    private static final Map<Key, KernelModule> CACHE = new ConcurrentHashMap<>();

    private final PtSymbolBlock block;
    private final String code;

    private KernelModule(PtSymbolBlock block, String code) {
        this.block = block;
        this.code = code;
    }

    /**
     * The module for {@code code} on {@code device}, compiled on first use.
     *
     * @param code the text of {@code code/__torch__.py} defining {@code class M(Module)}
     * @param device where the module runs
     * @return the cached module
     * @throws WinnowException when libtorch cannot compile or load the code
     */
    public static KernelModule of(String code, Device device) {
        return CACHE.computeIfAbsent(new Key(code, device), k -> load(k.code(), k.device()));
    }

    /** Whether the module for {@code code} on {@code device} has been compiled (that is, called) in this JVM. */
    public static boolean loaded(String code, Device device) {
        return CACHE.containsKey(new Key(code, device));
    }

    /** How many modules are loaded (one per distinct code text and device). */
    public static int cachedCount() {
        return CACHE.size();
    }

    private static KernelModule load(String code, Device device) {
        // The module lives as long as the JVM: its manager is never closed.
        PtNDManager manager = (PtNDManager) NDManager.newBaseManager(device, "PyTorch");
        Path file = null;
        try {
            file = Files.createTempFile("winnow-kernel", ".pt");
            Files.write(file, TorchScriptArchive.bytes(code));
            PtSymbolBlock block =
                    JniUtils.loadModule(manager, file, true, new String[0], new String[0], true);
            return new KernelModule(block, code);
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException("cannot stage a TorchScript kernel archive", e);
        } catch (RuntimeException e) {
            manager.close();
            throw new WinnowException(
                    "libtorch could not load a kernel module: " + e.getMessage() + "\n" + code, e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }

    /**
     * Runs {@code forward} on the given tensors.
     *
     * @param inputs the module's tensor arguments, in order
     * @return the module's outputs (one array for a tensor result, several for a tuple)
     */
    public NDList forward(NDArray... inputs) {
        // training=true keeps libtorch from running under an inference/no-grad guard; whether a
        // graph is recorded follows the thread's grad mode (on inside a GradientCollector), and
        // the kernels' code never reads self.training (dropout is baked into the code text).
        return IValueUtils.forward(block, new NDList(inputs), true);
    }

    /** The code text this module was compiled from. */
    public String code() {
        return code;
    }
}
