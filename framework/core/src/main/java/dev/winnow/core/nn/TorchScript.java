package dev.winnow.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.WinnowException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch operators that DJL does not bind, reached through TorchScript modules that Java writes itself: an
 * archive holds the module's code as text (compiled by libtorch when loaded), a pickle of the module object, an
 * empty constants tuple and a version. Loaded modules are cached per (kernel, device); autograd flows through
 * them back to the DJL inputs.
 */
public final class TorchScript {
    private static final Map<String, PtSymbolBlock> MODULES = new ConcurrentHashMap<>();
    private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();

    private TorchScript() {}

    /** Writes a parameterless TorchScript module {@code M} with the given {@code forward} (TorchScript code). */
    public static void writeArchive(Path file, String forwardSignatureAndBody) {
        String code = "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
                + "  _is_full_backward_hook : Optional[bool]\n" + forwardSignatureAndBody;
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "M/data.pkl", modulePickle());
            stored(zip, "M/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(zip, "M/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "M/version", "3\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TorchScript archive " + file, e);
        }
    }

    /** Pickle protocol 2 of {@code __torch__.M()} with state {training: True, _is_full_backward_hook: None}. */
    static byte[] modulePickle() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        b.writeBytes("c__torch__\nM\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        b.write(')'); // EMPTY_TUPLE
        b.write(0x81); // NEWOBJ
        b.write('}'); // EMPTY_DICT
        b.write('('); // MARK
        for (String key : new String[] {"training", "_is_full_backward_hook"}) {
            byte[] k = key.getBytes(StandardCharsets.US_ASCII);
            b.write('X'); // BINUNICODE
            b.write(k.length);
            b.write(0);
            b.write(0);
            b.write(0);
            b.writeBytes(k);
            b.write(key.equals("training") ? 0x88 : 'N'); // NEWTRUE / NONE
        }
        b.write('u'); // SETITEMS
        b.write('b'); // BUILD
        b.write('.'); // STOP
        return b.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** The loaded module for {@code name} on {@code device}, written and loaded once. */
    static PtSymbolBlock module(String name, String forward, Device device) {
        return MODULES.computeIfAbsent(name + "@" + device, key -> {
            try {
                Path file = Files.createTempFile("winnow-" + name, ".pt");
                file.toFile().deleteOnExit();
                writeArchive(file, forward);
                NDManager manager = MANAGERS.computeIfAbsent(device, d -> NDManager.newBaseManager(d));
                // trainParam = true: the module runs without a no-grad guard, so autograd flows back to the inputs
                return JniUtils.loadModule((PtNDManager) manager, file, true, new String[0], new String[0], true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                throw new WinnowException("libtorch could not load the TorchScript kernel " + name + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * Runs a kernel on tensors through the block's NDList forward (which keeps autograd: gradients flow back to
     * the inputs); the result belongs to the first input's manager.
     */
    static NDArray run(PtSymbolBlock module, NDArray... inputs) {
        NDManager manager = inputs[0].getManager();
        // DJL runs a module with training = false under a no-grad guard: ask for training (the kernels have no
        // dropout, so the mode changes nothing else) whenever autograd is recording
        NDList out = module.forward(new ParameterStore(manager, false), new NDList(inputs), JniUtils.isGradMode());
        NDArray result = out.singletonOrThrow();
        result.attach(manager);
        return result;
    }
}
