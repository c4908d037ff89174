package dev.winnow.nn.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
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

    @Test
    void writesTheReferenceLayoutByteForByte() throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("b", manager.create(new float[] {1f, 2f}));
        tensors.put("a", manager.create(new long[] {3L}));
        tensors.put("c", manager.create(new boolean[] {true}));
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));

        // Layout: descending dtype (I64 > F32 > BOOL), then name; header padded with spaces to a multiple of 8.
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[16,17]}}";
        assertEquals(195, json.length());
        String padded = json + " ".repeat(5);
        ByteBuffer expected = ByteBuffer.allocate(8 + 200 + 17).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(200).put(padded.getBytes(StandardCharsets.US_ASCII));
        expected.putLong(3L).putFloat(1f).putFloat(2f).put((byte) 1);
        assertArrayEquals(expected.array(), Files.readAllBytes(file));

        // The raw-data overload writes the same bytes.
        Path raw = dir.resolve("raw.safetensors");
        SafetensorsWriter.write(raw, List.of(
                new TensorData("c", DType.BOOL, new long[] {1}, ByteBuffer.wrap(new byte[] {1})),
                new TensorData("b", DType.F32, new long[] {2}, ByteBuffer.wrap(Fixtures.le(8, x -> x.putFloat(1f).putFloat(2f)))),
                new TensorData("a", DType.I64, new long[] {1}, ByteBuffer.wrap(Fixtures.le(8, x -> x.putLong(3L))))),
                Map.of("format", "pt"));
        assertArrayEquals(expected.array(), Files.readAllBytes(raw));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files are left behind");
        }
    }

    @Test
    void everyDtypeRoundTripsBitIdentically() {
        Random random = new Random(7);
        List<TensorData> tensors = new ArrayList<>();
        for (DType t : DType.values()) {
            long[] shape = {3, 5};
            byte[] bytes = new byte[15 * t.byteSize()];
            random.nextBytes(bytes);
            if (t == DType.BOOL) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (bytes[i] & 1);
                }
            }
            tensors.add(new TensorData("t." + t.name().toLowerCase(), t, shape, ByteBuffer.wrap(bytes)));
        }
        tensors.add(new TensorData("scalar", DType.F32, new long[0], ByteBuffer.wrap(new byte[] {1, 2, 3, 4})));
        tensors.add(new TensorData("empty", DType.F16, new long[] {0, 4}, ByteBuffer.allocate(0)));
        Path file = dir.resolve("all.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(tensors.size(), r.names().size());
            assertTrue(r.metadata().isEmpty());
            for (TensorData t : tensors) {
                assertEquals(t, r.read(t.name()), t.name());
            }
        }
    }

    @Test
    void ndArraysRoundTripBitIdenticallyThroughSaveAndLoad() {
        Random random = new Random(11);
        float[] floats = new float[64];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = Float.intBitsToFloat(random.nextInt());
        }
        floats[0] = -0.0f;
        floats[1] = Float.MIN_VALUE;
        floats[2] = Float.NEGATIVE_INFINITY;
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("w", manager.create(floats, new Shape(8, 8)));
        tensors.put("ids", manager.create(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}));
        tensors.put("i32", manager.create(new int[] {-7, 1 << 30}));
        tensors.put("i8", manager.create(new byte[] {-128, 127}));
        tensors.put("u8", manager.create(ByteBuffer.wrap(new byte[] {(byte) 255, 1}), new Shape(2), DataType.UINT8));
        tensors.put("mask", manager.create(new boolean[] {true, false}));
        Path file = dir.resolve("arrays.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of("step", "10"));
        try (SafetensorsReader r = SafetensorsReader.open(file); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Map.of("step", "10"), r.metadata());
            Map<String, NDArray> loaded = r.loadAll(m);
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray back = loaded.get(e.getKey());
                assertEquals(e.getValue().getDataType(), back.getDataType(), e.getKey());
                assertEquals(e.getValue().getShape(), back.getShape(), e.getKey());
                assertArrayEquals(Fixtures.bytes(e.getValue().toByteBuffer()), Fixtures.bytes(back.toByteBuffer()),
                        e.getKey());
            }
        }
    }

    @Test
    void halfExportsRoundToHandCheckedBits() {
        Map<String, NDArray> tensors = Map.of(
                "w", manager.create(new float[] {1f, 1f / 3f, 0.1f, 65520f, (float) Math.PI}),
                "ids", manager.create(new int[] {4}));
        Path f16 = dir.resolve("f16.safetensors");
        SafetensorsWriter.write(f16, tensors, Map.of(), DType.F16);
        Path bf16 = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(bf16, tensors, Map.of(), DType.BF16);
        try (SafetensorsReader r = SafetensorsReader.open(f16); SafetensorsReader b = SafetensorsReader.open(bf16)) {
            TensorData w = r.read("w");
            assertEquals(DType.F16, w.dtype());
            assertEquals(DType.I32, r.read("ids").dtype());
            short[] bits = new short[5];
            w.data().asShortBuffer().get(bits);
            assertArrayEquals(new short[] {0x3C00, 0x3555, 0x2E66, 0x7C00, 0x4248}, bits);
            TensorData wb = b.read("w");
            assertEquals(DType.BF16, wb.dtype());
            wb.data().asShortBuffer().get(bits);
            assertArrayEquals(new short[] {0x3F80, 0x3EAB, 0x3DCD, 0x4780, 0x4049}, bits);
            assertArrayEquals(new float[] {1f, 0.333984375f, 0.10009765625f, 65536f, 3.140625f},
                    b.load("w", manager).toFloatArray());
        }
    }

    @Test
    void viewsAreWrittenInLogicalOrder() {
        NDArray transposed = manager.arange(0f, 6f).reshape(2, 3).transpose(); // [[0,3],[1,4],[2,5]]
        NDArray column = manager.arange(0, 12, 1, DataType.INT64).reshape(3, 4).get(":, 1"); // [1,5,9]
        Path file = dir.resolve("views.safetensors");
        SafetensorsWriter.write(file, Map.of("t", transposed, "c", column), Map.of());
        SafetensorsWriter.write(dir.resolve("chunked.safetensors"), Map.of("t", transposed, "c", column), Map.of(),
                null, 8);
        for (Path p : List.of(file, dir.resolve("chunked.safetensors"))) {
            try (SafetensorsReader r = SafetensorsReader.open(p)) {
                assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, r.load("t", manager).toFloatArray());
                assertEquals(new Shape(3, 2), r.load("t", manager).getShape());
                assertArrayEquals(new long[] {1, 5, 9}, r.load("c", manager).toLongArray());
            }
        }
    }

    @Test
    void chunkedWritesMatchWholeWrites() throws IOException {
        float[] values = new float[100];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 3;
        }
        Map<String, NDArray> tensors = Map.of("w", manager.create(values, new Shape(10, 10)));
        Path whole = dir.resolve("whole.safetensors");
        Path chunked = dir.resolve("chunked.safetensors");
        SafetensorsWriter.write(whole, tensors, Map.of(), DType.BF16);
        SafetensorsWriter.write(chunked, tensors, Map.of(), DType.BF16, 12);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(chunked));
    }

    @Test
    void shardedSaveReloadsWithTheHuggingFaceIndex() throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("embeddings.weight", manager.arange(0f, 40f).reshape(10, 4)); // 160 bytes: own shard
        tensors.put("layer.0.weight", manager.arange(0f, 16f)); // 64
        tensors.put("layer.0.bias", manager.arange(0f, 8f)); // 32
        tensors.put("layer.1.weight", manager.arange(0f, 16f).neg()); // 64: tips over 100
        tensors.put("position_ids", manager.arange(0, 4, 1, DataType.INT64)); // 32: fits beside it
        List<Path> written = SafetensorsWriter.writeSharded(dir, "model", tensors, Map.of("format", "pt"), 100);
        assertEquals(List.of(dir.resolve("model-00001-of-00003.safetensors"),
                dir.resolve("model-00002-of-00003.safetensors"), dir.resolve("model-00003-of-00003.safetensors"),
                dir.resolve("model.safetensors.index.json")), written);
        assertEquals("{\n"
                + "  \"metadata\": {\n"
                + "    \"total_size\": 352\n"
                + "  },\n"
                + "  \"weight_map\": {\n"
                + "    \"embeddings.weight\": \"model-00001-of-00003.safetensors\",\n"
                + "    \"layer.0.bias\": \"model-00002-of-00003.safetensors\",\n"
                + "    \"layer.0.weight\": \"model-00002-of-00003.safetensors\",\n"
                + "    \"layer.1.weight\": \"model-00003-of-00003.safetensors\",\n"
                + "    \"position_ids\": \"model-00003-of-00003.safetensors\"\n"
                + "  }\n"
                + "}\n", Files.readString(written.get(3)));
        try (SafetensorsReader r = SafetensorsReader.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(5, r.names().size());
            assertEquals(Map.of("format", "pt"), r.metadata());
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray back = r.load(e.getKey(), m);
                assertEquals(e.getValue().getShape(), back.getShape());
                assertArrayEquals(Fixtures.bytes(e.getValue().toByteBuffer()), Fixtures.bytes(back.toByteBuffer()));
            }
        }

        // Saving again in one file removes the stale shards and index, so the directory reads the new save.
        SafetensorsWriter.writeSharded(dir, "model", Map.of("x", manager.ones(new Shape(2))), Map.of(), 1L << 20);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
        try (SafetensorsReader r = SafetensorsReader.open(dir)) {
            assertEquals(List.of("x"), List.copyOf(r.names()));
        }
        assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    }

    @Test
    void jsonStringsAreEscapedAsSerdeAndPythonDo() {
        StringBuilder serde = new StringBuilder();
        SafetensorsWriter.jsonString(serde, "a\"b\\c\n\u0001é", false);
        assertEquals("\"a\\\"b\\\\c\\n\\u0001é\"", serde.toString());
        StringBuilder python = new StringBuilder();
        SafetensorsWriter.jsonString(python, "é\u007f😀", true);
        assertEquals("\"\\u00e9\\u007f\\ud83d\\ude00\"", python.toString());
        assertTrue(SafetensorsWriter.compareCodePoints("\uFFFF", "😀") < 0); // UTF-16 order would say otherwise
    }
}
