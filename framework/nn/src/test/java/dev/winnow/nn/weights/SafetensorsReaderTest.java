package dev.winnow.nn.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    private static final String MIXED_HEADER = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]},"
            + "\"f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[14,18]},"
            + "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[18,34]},"
            + "\"i32\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[34,38]},"
            + "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[38,41]},"
            + "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[41,43]},"
            + "\"i8\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[43,45]},"
            + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[45,47]},"
            + "\"f64\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[47,55]}}";
    private static final byte[] MIXED_DATA = Fixtures.le(55, b -> b.putFloat(1.0f).putFloat(-2.5f)
            .putShort((short) 0x3F80).putShort((short) 0xC020).putShort((short) 0x4049)
            .putShort((short) 0x3C00).putShort((short) 0x3555)
            .putLong(-1L).putLong(1L << 40)
            .putInt(7)
            .put((byte) 1).put((byte) 0).put((byte) 1)
            .put((byte) 200).put((byte) 5)
            .put((byte) -3).put((byte) 4)
            .putShort((short) -300)
            .putDouble(0.001));

    @TempDir
    Path dir;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private Path mixed() throws IOException {
        return Fixtures.file(dir.resolve("mixed.safetensors"), MIXED_HEADER, MIXED_DATA);
    }

    @Test
    void readsHeaderMetadataAndRawBytes() throws IOException {
        Path file = mixed();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(List.of("f32", "bf16", "f16", "i64", "i32", "bool", "u8", "i8", "i16", "f64"),
                    List.copyOf(r.names()));
            assertEquals(Map.of("format", "pt"), r.metadata());
            long dataStart = 8 + MIXED_HEADER.length();
            assertEquals(new TensorInfo("i64", DType.I64, new long[] {2}, file, dataStart + 18, 16),
                    r.info("i64").orElseThrow());
            TensorData bf16 = r.read("bf16");
            assertEquals(DType.BF16, bf16.dtype());
            assertArrayEquals(new long[] {3}, bf16.shape());
            assertArrayEquals(new byte[] {(byte) 0x80, 0x3F, 0x20, (byte) 0xC0, 0x49, 0x40}, Fixtures.bytes(bf16.data()));
            assertArrayEquals(new long[0], r.read("f64").shape());
        }
    }

    @Test
    void loadsEveryDtypeWithHandCheckedValues() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(mixed())) {
            Map<String, NDArray> all = r.loadAll(manager);
            assertEquals(10, all.size());
            NDArray bf16 = all.get("bf16");
            assertEquals(DataType.FLOAT32, bf16.getDataType());
            assertArrayEquals(new float[] {1.0f, -2.5f, 3.140625f}, bf16.toFloatArray());
            assertArrayEquals(new float[] {1.0f, 0.333251953125f}, all.get("f16").toFloatArray());
            assertArrayEquals(new float[] {1.0f, -2.5f}, all.get("f32").toFloatArray());
            assertEquals(DataType.INT64, all.get("i64").getDataType());
            assertArrayEquals(new long[] {-1L, 1L << 40}, all.get("i64").toLongArray());
            assertEquals(new Shape(1, 1), all.get("i32").getShape());
            assertArrayEquals(new int[] {7}, all.get("i32").toIntArray());
            assertEquals(DataType.BOOLEAN, all.get("bool").getDataType());
            assertArrayEquals(new boolean[] {true, false, true}, all.get("bool").toBooleanArray());
            assertEquals(DataType.UINT8, all.get("u8").getDataType());
            assertArrayEquals(new byte[] {(byte) 200, 5}, all.get("u8").toByteArray());
            assertArrayEquals(new byte[] {-3, 4}, all.get("i8").toByteArray());
            assertEquals(DataType.INT32, all.get("i16").getDataType());
            assertArrayEquals(new int[] {-300}, all.get("i16").toIntArray());
            NDArray f64 = all.get("f64");
            assertEquals(DataType.FLOAT32, f64.getDataType());
            assertEquals(new Shape(), f64.getShape());
            assertEquals(0.001f, f64.getFloat());
        }
    }

    @Test
    void chunkedLoadMatchesTheWholeLoad() throws IOException {
        // 13 bf16 values: with an 8-byte region limit each chunk holds 2 f32 values, so 7 chunks are mapped.
        float[] expected = new float[13];
        byte[] data = Fixtures.le(26 + 40, b -> {
            for (int i = 0; i < 13; i++) {
                short bits = (short) (0x3F80 + i * 3 - (i % 2 == 0 ? 0x8000 : 0));
                expected[i] = HalfPrecision.bf16ToFloat(bits);
                b.putShort(bits);
            }
            for (int i = 0; i < 10; i++) {
                b.putFloat(i * 1.5f - 4);
            }
        });
        Path file = Fixtures.file(dir.resolve("chunks.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[13],\"data_offsets\":[0,26]},"
                        + "\"v\":{\"dtype\":\"F32\",\"shape\":[2,5],\"data_offsets\":[26,66]}}", data);
        try (SafetensorsReader small = SafetensorsReader.open(file, 8);
                SafetensorsReader whole = SafetensorsReader.open(file)) {
            NDArray w = small.load("w", manager);
            assertEquals(new Shape(13), w.getShape());
            assertArrayEquals(expected, w.toFloatArray());
            NDArray v = small.load("v", manager);
            assertEquals(new Shape(2, 5), v.getShape());
            assertArrayEquals(whole.load("v", manager).toFloatArray(), v.toFloatArray());
            UserException e = assertThrows(UserException.class, () -> small.read("v"));
            assertEquals("tensor 'v' in " + file + " is 40 bytes, more than one Java buffer can hold (8); "
                    + "load it with load(), which reads it in chunks", e.getMessage());
            assertEquals(26, whole.read("w").data().remaining());
        }
    }

    @Test
    void readsTensorsPastTwoGigabytesInASparseFile() throws IOException {
        // A 2.2 GB file that takes no disk space: a huge zero tensor, then a small one that starts past 2^31.
        long big = 2_200_000_000L;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + big + "," + (big + 16) + "]}}";
        Path file = dir.resolve("big.safetensors");
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(Fixtures.le(8, b -> b.putLong(h.length)));
            raf.write(h);
            raf.seek(8 + h.length + big);
            raf.write(Fixtures.le(16, b -> b.putFloat(1f).putFloat(-2f).putFloat(3.5f).putFloat(1e-3f)));
        }
        try (SafetensorsReader r = SafetensorsReader.open(file); SafetensorsReader chunks = SafetensorsReader.open(file, 8)) {
            assertEquals(8 + h.length + big, r.info("tail").orElseThrow().offset());
            assertEquals(3.5f, r.read("tail").data().getFloat(8));
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 1e-3f}, r.load("tail", manager).toFloatArray());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 1e-3f}, chunks.load("tail", manager).toFloatArray());
            UserException e = assertThrows(UserException.class, () -> r.read("pad"));
            assertEquals("tensor 'pad' in " + file + " is 2200000000 bytes, more than one Java buffer can hold ("
                    + SafetensorsReader.DEFAULT_MAX_REGION_BYTES + "); load it with load(), which reads it in chunks",
                    e.getMessage());
        }
    }

    @Test
    void loadedArraysOwnTheirMemory() throws IOException {
        Path file = mixed();
        byte[] before = Files.readAllBytes(file);
        NDArray f32;
        NDArray bool;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            f32 = r.load("f32", manager);
            bool = r.load("bool", manager);
        }
        f32.addi(1f); // in place: the array must not live in the read-only mapping
        bool.set(new ai.djl.ndarray.index.NDIndex("1"), manager.create(true));
        assertArrayEquals(new float[] {2f, -1.5f}, f32.toFloatArray());
        assertArrayEquals(new boolean[] {true, true, true}, bool.toBooleanArray());
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void missingTensorNamesTheFileAndSomeTensors() throws IOException {
        Path file = mixed();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            UserException e = assertThrows(UserException.class, () -> r.load("encoder.weight", manager));
            assertEquals("tensor 'encoder.weight' not found in " + file
                    + "; it has 10 tensors, e.g. f32, bf16, f16, i64, i32", e.getMessage());
        }
    }

    @Test
    void truncatedDataIsReportedWithTheTensor() throws IOException {
        Path file = mixed();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 5);
        }
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertEquals(file + ": tensor 'f64' has data_offsets [47, 55] past the end of the data (50 bytes after the "
                + "header); the file is truncated", e.getMessage());
    }

    @Test
    void truncatedHeaderIsReported() throws IOException {
        Path file = mixed();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(100);
        }
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertEquals(file + ": header length " + MIXED_HEADER.length() + " runs past the end of the file (100 bytes); "
                + "the file is truncated", e.getMessage());
        Files.write(file, new byte[] {1, 2, 3});
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertEquals(file + ": is 3 bytes, too short for a safetensors file (it starts with an 8-byte header length)",
                e.getMessage());
    }

    @Test
    void absurdHeaderLengthIsReported() throws IOException {
        Path file = dir.resolve("x.safetensors");
        Files.write(file, Fixtures.le(16, b -> b.putLong(-2L).putLong(0)));
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertEquals(file + ": header length 18446744073709551614 is over the format's limit of 100000000 bytes; "
                + "this is not a safetensors file, or it is corrupt", e.getMessage());
    }

    @Test
    void badJsonIsReported() throws IOException {
        Path file = Fixtures.file(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]", new byte[4]);
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertTrue(e.getMessage().startsWith(file + ": header is not valid JSON: Unexpected end-of-input"),
                e.getMessage());
        Path array = Fixtures.file(dir.resolve("array.safetensors"), "[1,2]", new byte[0]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(array));
        assertEquals(array + ": header must be a JSON object, found ARRAY", e.getMessage());
        Path dup = Fixtures.file(dir.resolve("dup.safetensors"),
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                        + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(dup));
        assertTrue(e.getMessage().startsWith(dup + ": header is not valid JSON: Duplicate field 'w'"), e.getMessage());
    }

    @Test
    void wrongDtypeIsReported() throws IOException {
        Path file = Fixtures.file(dir.resolve("q.safetensors"),
                "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(file));
        assertEquals(file + ": tensor 'w' has dtype 'Q4_K', which Winnow cannot read; supported: "
                + "F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL", e.getMessage());
    }

    @Test
    void offsetsOutsideTheFileOrInconsistentWithTheShapeAreReported() throws IOException {
        Path outside = Fixtures.file(dir.resolve("out.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", new byte[8]);
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(outside));
        assertEquals(outside + ": tensor 'w' has data_offsets [0, 400] past the end of the data (8 bytes after the "
                + "header); the file is truncated", e.getMessage());

        Path mismatch = Fixtures.file(dir.resolve("mismatch.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[24]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(mismatch));
        assertEquals(mismatch + ": tensor 'w' is F32 of shape [2, 3], which takes 24 bytes, but its data_offsets "
                + "[0, 20] span 20 bytes", e.getMessage());

        Path reversed = Fixtures.file(dir.resolve("rev.safetensors"),
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(reversed));
        assertEquals(reversed + ": tensor 'w': 'data_offsets' must be [begin, end] with 0 <= begin <= end, found "
                + "[4,0]", e.getMessage());

        Path badShape = Fixtures.file(dir.resolve("shape.safetensors"),
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", new byte[0]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(badShape));
        assertEquals(badShape + ": tensor 'w': 'shape' must be an array of non-negative integers, found [-1]",
                e.getMessage());

        Path overlap = Fixtures.file(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(overlap));
        assertEquals(overlap + ": tensors 'a' (bytes [0, 8]) and 'b' (bytes [4, 12]) overlap", e.getMessage());
    }

    @Test
    void directoryWithoutSafetensorsSaysWhatItExpected() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[1]);
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(dir));
        assertEquals(dir + " holds no safetensors weights: expected model.safetensors, or model.safetensors.index.json"
                + " with its shards, or other *.safetensors files (found pytorch_model.bin, which Winnow does not "
                + "read: convert the weights to safetensors first)", e.getMessage());
        assertEquals("weights path " + dir.resolve("nope") + " does not exist",
                assertThrows(UserException.class, () -> SafetensorsReader.open(dir.resolve("nope"))).getMessage());
    }

    @Test
    void readsHandWrittenShardsThroughTheirIndex() throws IOException {
        Fixtures.file(dir.resolve("model-00001-of-00002.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Fixtures.le(4, b -> b.putFloat(2f)));
        Fixtures.file(dir.resolve("model-00002-of-00002.safetensors"),
                "{\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                Fixtures.le(8, b -> b.putInt(5).putInt(-6)));
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\":{\"total_size\":12},\"weight_map\":{"
                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (SafetensorsReader r = SafetensorsReader.open(dir)) {
            assertEquals(Set.of("a", "b"), r.names());
            assertArrayEquals(new float[] {2f}, r.load("a", manager).toFloatArray());
            assertArrayEquals(new int[] {5, -6}, r.load("b", manager).toIntArray());
            assertEquals(dir.resolve("model-00002-of-00002.safetensors"), r.info("b").orElseThrow().file());
            UserException e = assertThrows(UserException.class, () -> r.read("c"));
            assertEquals("tensor 'c' not found in " + index + "; it has 2 tensors, e.g. a, b", e.getMessage());
        }

        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\","
                + "\"b\":\"model-00002-of-00002.safetensors\"}}");
        UserException e = assertThrows(UserException.class, () -> SafetensorsReader.open(index));
        assertEquals(index + ": tensor 'a' maps to shard 'model-00002-of-00002.safetensors', which has no such tensor",
                e.getMessage());

        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00009-of-00009.safetensors\"}}");
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(dir));
        assertEquals(index + ": tensor 'a' maps to shard 'model-00009-of-00009.safetensors', which is not a file in "
                + dir.toAbsolutePath(), e.getMessage());

        Files.writeString(index, "{\"metadata\":{}}");
        e = assertThrows(UserException.class, () -> SafetensorsReader.open(dir));
        assertEquals(index + ": has no 'weight_map' object mapping tensor names to shard files", e.getMessage());
    }
}
