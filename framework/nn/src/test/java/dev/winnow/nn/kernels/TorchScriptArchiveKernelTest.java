package dev.winnow.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.WinnowException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptArchiveKernelTest {

    @Test
    void pickleIsTheSeventyTwoByteModuleState() {
        byte[] p = TorchScriptArchive.modulePickle();
        assertEquals(72, p.length);
        // hand-assembled expectation, opcode by opcode
        String expected = "80 02 63 " + hex("__torch__\nM\n") + " 71 00 29 81 7d 71 01 28 "
                + "58 08 00 00 00 " + hex("training") + " 71 02 88 "
                + "58 16 00 00 00 " + hex("_is_full_backward_hook") + " 71 03 4e 75 62 2e";
        assertEquals(expected, hex(p));
    }

    @Test
    void archiveHoldsTheFourEntries(@TempDir Path dir) throws IOException {
        String code = TorchScriptKernels.module("x: Tensor", "    return torch.neg(x)\n");
        Path file = dir.resolve("neg.pt");
        TorchScriptArchive.write(code, file);
        Map<String, byte[]> entries = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(Files.readAllBytes(file)))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                entries.put(e.getName(), zip.readAllBytes());
            }
        }
        assertEquals(4, entries.size());
        assertArrayEquals(TorchScriptArchive.modulePickle(), entries.get("kernel/data.pkl"));
        assertArrayEquals(new byte[] {(byte) 0x80, 2, ')', '.'}, entries.get("kernel/constants.pkl"));
        assertEquals("3", new String(entries.get("kernel/version"), StandardCharsets.US_ASCII).trim());
        assertEquals(code, new String(entries.get("kernel/code/__torch__.py"), StandardCharsets.UTF_8));
    }

    @Test
    void libtorchLoadsAndRunsAWrittenModule() {
        String code = TorchScriptKernels.module("x: Tensor, y: Tensor",
                "    return torch.sub(torch.mul(x, y), 1.5)\n");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f, 3f});
            NDArray y = m.create(new float[] {4f, -1f, 0.5f});
            float[] out = KernelModule.of(code, x.getDevice()).forward(x, y).singletonOrThrow().toFloatArray();
            assertArrayEquals(new float[] {2.5f, -3.5f, 0f}, out, 0f);
            assertEquals(m, KernelModule.of(code, x.getDevice()).forward(x, y).singletonOrThrow().getManager());
        }
    }

    @Test
    void brokenCodeIsAWinnowException() {
        String code = TorchScriptKernels.module("x: Tensor", "    return torch.no_such_op(x)\n");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f});
            assertThrows(WinnowException.class, () -> KernelModule.of(code, x.getDevice()));
        }
    }

    @Test
    void floatLiteralsAlwaysHaveAPoint() {
        assertEquals("1.0", TorchScriptKernels.literal(1));
        assertEquals("0.0", TorchScriptKernels.literal(0));
        assertEquals("0.0000010", TorchScriptKernels.literal(1e-6));
        assertEquals("-1000000000.0", TorchScriptKernels.literal(-1e9));
    }

    private static String hex(String s) {
        return hex(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }
}
