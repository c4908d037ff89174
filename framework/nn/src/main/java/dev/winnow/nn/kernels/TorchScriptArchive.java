package dev.winnow.nn.kernels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive for a parameterless module from its code text, with no Python.
 *
 * <p>libtorch compiles {@code code/__torch__.py} when it loads the archive, so the code may call
 * any operator of the libtorch that loads it. The module class must be named {@code M} and
 * derive from {@code Module}; the pickled object state is fixed ({@code training=True}, no
 * parameters), so the code must not declare attributes.
 */
public final class TorchScriptArchive {

    /** The archive's top folder name; libtorch accepts any name. */
    public static final String ROOT = "kernel";

    private static final byte[] EMPTY_TUPLE_PICKLE = {
        (byte) 0x80, 0x02, // PROTO 2
        ')', // EMPTY_TUPLE
        '.' // STOP
    };

    private TorchScriptArchive() {}

    /**
     * The pickled state of a parameterless module {@code __torch__.M}: protocol 2, GLOBAL
     * {@code __torch__ M}, EMPTY_TUPLE, NEWOBJ, a dict {@code {training: True,
     * _is_full_backward_hook: None}}, BUILD, STOP. It is 72 bytes long.
     *
     * @return a fresh copy of the bytes
     */
    public static byte[] modulePickle() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(72);
        out.write(0x80); // PROTO
        out.write(0x02);
        out.write('c'); // GLOBAL module\nname\n
        ascii(out, "__torch__\nM\n");
        memo(out, 0);
        out.write(')'); // EMPTY_TUPLE
        out.write(0x81); // NEWOBJ
        out.write('}'); // EMPTY_DICT
        memo(out, 1);
        out.write('('); // MARK
        shortString(out, "training");
        memo(out, 2);
        out.write(0x88); // NEWTRUE
        shortString(out, "_is_full_backward_hook");
        memo(out, 3);
        out.write('N'); // NONE
        out.write('u'); // SETITEMS
        out.write('b'); // BUILD
        out.write('.'); // STOP
        return out.toByteArray();
    }

    /**
     * Builds the archive bytes for the given module code.
     *
     * @param code the text of {@code code/__torch__.py}, defining {@code class M(Module)}
     * @return the zip archive
     */
    public static byte[] bytes(String code) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024 + code.length());
        try {
            write(code, buffer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    /**
     * Writes the archive to {@code target} atomically (temporary file, fsync, rename).
     *
     * @param code the module code text
     * @param target where the archive goes
     */
    public static void write(String code, Path target) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            try {
                try (var channel = java.nio.channels.FileChannel.open(
                        tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.write(java.nio.ByteBuffer.wrap(bytes(code)));
                    channel.force(true);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write TorchScript archive " + target, e);
        }
    }

    private static void write(String code, OutputStream out) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            entry(zip, ROOT + "/data.pkl", modulePickle());
            entry(zip, ROOT + "/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            entry(zip, ROOT + "/constants.pkl", EMPTY_TUPLE_PICKLE);
            entry(zip, ROOT + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    private static void shortString(ByteArrayOutputStream out, String s) {
        out.write('X'); // BINUNICODE, 4-byte little-endian length
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(b, 0, b.length);
    }

    private static void memo(ByteArrayOutputStream out, int index) {
        out.write('q'); // BINPUT, as libtorch's own pickler memoizes
        out.write(index);
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
    }
}
