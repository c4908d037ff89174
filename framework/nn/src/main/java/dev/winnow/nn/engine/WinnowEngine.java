package dev.winnow.nn.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.winnow.api.UserException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one place that starts DJL's PyTorch engine.
 *
 * <p>Winnow never lets DJL reach for the network: before the engine loads, it switches DJL to offline mode,
 * opts out of DJL's usage tracking, and pins the native flavour to the build that ships in the natives jar on the
 * classpath: {@code pytorch-native-cpu} by default, {@code pytorch-native-cu124} with the {@code cuda} Maven profile
 * (unless the user chose a flavour with {@code PYTORCH_FLAVOR}). A native library that cannot be loaded becomes one {@link UserException}
 * line that says what to do, not a stack trace.
 */
public final class WinnowEngine {
    private static volatile boolean started;

    private WinnowEngine() {}

    /** Sets DJL's offline switches; idempotent, cheap, and safe to call before anything touches DJL. */
    public static void configureOffline() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // DJL reads these through Utils.getEnvOrSystemProperty: an environment variable still wins.
        if (System.getenv("PYTORCH_FLAVOR") == null) {
            setIfAbsent("PYTORCH_FLAVOR", bundledFlavor()); // cpu, or cu124 with the -Pcuda build's natives jar
        }
        if (System.getenv("RUST_FLAVOR") == null) {
            setIfAbsent("RUST_FLAVOR", "cpu");
        }
        setIfAbsent("java.awt.headless", "true");
    }

    /** The flavour of the libtorch natives jar on the classpath ({@code native/lib/pytorch.properties}); cpu without one. */
    static String bundledFlavor() {
        try (java.io.InputStream in = WinnowEngine.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) {
                return "cpu";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("flavor", "cpu");
        } catch (java.io.IOException e) {
            return "cpu";
        }
    }

    /** Starts the PyTorch engine, or fails with one line naming the cause and the fix. */
    public static Engine start() {
        configureOffline();
        try {
            Engine engine = Engine.getEngine("PyTorch");
            started = true;
            return engine;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new UserException(nativeFailure(e));
        }
    }

    public static boolean started() {
        return started;
    }

    /**
     * Parses a device name from a recipe: {@code auto} (the first GPU if any, else the CPU), {@code cpu},
     * {@code gpu} or {@code gpu:N}; {@code all} (every GPU, for data parallel) gives its first device, as {@code auto}.
     */
    public static Device device(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        Engine engine = start();
        if (n.equals("auto") || n.equals("all")) { // all: every GPU in data parallel; its first device here
            return engine.getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("gpu") || n.startsWith("gpu:") || n.startsWith("cuda")) {
            int index = n.contains(":") ? Integer.parseInt(n.substring(n.indexOf(':') + 1)) : 0;
            if (index >= engine.getGpuCount()) {
                throw new UserException("device '" + name + "' is not available: this machine has "
                        + engine.getGpuCount() + " GPU(s) visible to PyTorch" + (engine.getGpuCount() == 0
                                ? " (the CPU build of libtorch is loaded; see README 'GPU' for the CUDA build)"
                                : ""));
            }
            return Device.gpu(index);
        }
        throw new UserException("unknown device '" + name + "'; valid: auto, cpu, gpu, gpu:N");
    }

    /** The devices of the machine, for messages and memory estimates. */
    public static List<Device> devices() {
        Engine engine = start();
        List<Device> out = new ArrayList<>();
        for (int i = 0; i < engine.getGpuCount(); i++) {
            out.add(Device.gpu(i));
        }
        out.add(Device.cpu());
        return out;
    }

    static String nativeFailure(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return "cannot load PyTorch's native library (" + why.lines().findFirst().orElse(why).trim()
                + "): the CPU build comes from the ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64 jar on the "
                + "classpath (rebuild with ./runner --rebuild); for CUDA see README 'GPU'";
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
