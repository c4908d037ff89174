package dev.winnow.nn.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.winnow.api.WinnowException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes safetensors files byte-compatible with the reference implementation (data laid out by descending dtype
 * then name, header JSON padded with spaces to 8 bytes, optional {@code __metadata__}), and sharded checkpoints
 * named and indexed exactly as Hugging Face writes them. Every file is written atomically; arrays larger than one
 * Java buffer are streamed in chunks.
 */
public final class SafetensorsWriter {
    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsWriter.class);
    /** How much of an NDArray is copied out of the engine at once. */
    static final long DEFAULT_CHUNK_BYTES = 64L << 20;
    private static final int SCRATCH_BYTES = 8 << 20;

    private SafetensorsWriter() {}

    /** Writes {@code tensors} to {@code file}, each in its own type. */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, null);
    }

    /**
     * Writes {@code tensors} to {@code file}. When {@code floatType} is set (F32, F16, BF16 or F64), every floating
     * array is written in that type, rounding to nearest even; integer and boolean arrays keep their type.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata,
            @Nullable DType floatType) {
        write(file, tensors, metadata, floatType, DEFAULT_CHUNK_BYTES);
    }

    /** As {@link #write(Path, Map, Map, DType)}, copying at most {@code chunkBytes} out of an array at once. */
    static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata,
            @Nullable DType floatType, long chunkBytes) {
        writeFile(file, arraySources(tensors, floatType, chunkBytes), metadata);
    }

    /** Writes raw tensors to {@code file} as they are. */
    public static void write(Path file, List<TensorData> tensors, Map<String, String> metadata) {
        List<Source> sources = new ArrayList<>();
        for (TensorData t : tensors) {
            sources.add(new DataSource(t));
        }
        writeFile(file, sources, metadata);
    }

    /**
     * Writes {@code tensors} into {@code dir} as Hugging Face does: one {@code <baseName>.safetensors} when they
     * fit in {@code maxShardBytes}, else {@code <baseName>-00001-of-0000N.safetensors} shards (filled in the
     * map's iteration order; a tensor larger than the limit gets a shard of its own) plus
     * {@code <baseName>.safetensors.index.json}. Stale files of an earlier save under the same base name are
     * removed. Returns the files written, the index last.
     */
    public static List<Path> writeSharded(Path dir, String baseName, Map<String, NDArray> tensors,
            Map<String, String> metadata, long maxShardBytes) {
        return writeSharded(dir, baseName, tensors, metadata, maxShardBytes, null);
    }

    /** As {@link #writeSharded(Path, String, Map, Map, long)}, writing floating arrays as {@code floatType}. */
    public static List<Path> writeSharded(Path dir, String baseName, Map<String, NDArray> tensors,
            Map<String, String> metadata, long maxShardBytes, @Nullable DType floatType) {
        return writeSharded(dir, baseName, tensors, metadata, maxShardBytes, floatType, DEFAULT_CHUNK_BYTES);
    }

    static List<Path> writeSharded(Path dir, String baseName, Map<String, NDArray> tensors,
            Map<String, String> metadata, long maxShardBytes, @Nullable DType floatType, long chunkBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<List<Source>> shards = split(arraySources(tensors, floatType, chunkBytes), maxShardBytes);
        Path single = dir.resolve(baseName + ".safetensors");
        Path index = dir.resolve(baseName + ".safetensors.index.json");
        Pattern shardName = Pattern.compile(Pattern.quote(baseName) + "-\\d{5}-of-\\d{5}\\.safetensors");
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            writeFile(single, shards.isEmpty() ? List.of() : shards.get(0), metadata);
            written.add(single);
            deleteStale(dir, Set.of(single), p -> p.equals(index) || shardName.matcher(name(p)).matches());
            return written;
        }
        Map<String, String> weightMap = new TreeMap<>(SafetensorsWriter::compareCodePoints);
        long totalSize = 0;
        for (int i = 0; i < shards.size(); i++) {
            String fileName = String.format("%s-%05d-of-%05d.safetensors", baseName, i + 1, shards.size());
            Path shard = dir.resolve(fileName);
            writeFile(shard, shards.get(i), metadata);
            written.add(shard);
            for (Source s : shards.get(i)) {
                weightMap.put(s.name(), fileName);
                totalSize += s.byteLength();
            }
        }
        byte[] indexJson = indexJson(totalSize, weightMap).getBytes(StandardCharsets.US_ASCII);
        AtomicFiles.write(index, ch -> writeAll(ch, ByteBuffer.wrap(indexJson)));
        written.add(index);
        Set<Path> keep = new HashSet<>(written);
        deleteStale(dir, keep, p -> p.equals(single) || shardName.matcher(name(p)).matches());
        return written;
    }

    // ---------------------------------------------------------------------------------------------- file

    private static void writeFile(Path file, List<Source> sources, Map<String, String> metadata) {
        List<Source> ordered = new ArrayList<>(sources);
        Set<String> seen = new HashSet<>();
        for (Source s : ordered) {
            if (s.name().equals("__metadata__") || !seen.add(s.name())) {
                throw new IllegalArgumentException("cannot write tensor name '" + s.name() + "' to " + file
                        + (s.name().equals("__metadata__") ? ": the name is reserved" : ": it occurs twice"));
            }
        }
        ordered.sort(Comparator.comparingInt((Source s) -> -s.dtype().layoutRank())
                .thenComparing(Source::name, SafetensorsWriter::compareCodePoints));
        byte[] header = header(ordered, metadata);
        AtomicFiles.write(file, ch -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeAll(ch, length);
            writeAll(ch, ByteBuffer.wrap(header));
            for (Source s : ordered) {
                long before = ch.position();
                s.writeTo(ch);
                long wrote = ch.position() - before;
                if (wrote != s.byteLength()) {
                    throw new WinnowException("tensor '" + s.name() + "' wrote " + wrote + " bytes to " + file
                            + ", expected " + s.byteLength());
                }
            }
        });
    }

    private static byte[] header(List<Source> ordered, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            Map<String, String> sorted = new TreeMap<>(SafetensorsWriter::compareCodePoints);
            sorted.putAll(metadata);
            boolean firstEntry = true;
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                if (!firstEntry) {
                    sb.append(',');
                }
                firstEntry = false;
                jsonString(sb, e.getKey(), false);
                sb.append(':');
                jsonString(sb, e.getValue(), false);
            }
            sb.append('}');
            first = false;
        }
        long offset = 0;
        for (Source s : ordered) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            jsonString(sb, s.name(), false);
            sb.append(":{\"dtype\":\"").append(s.dtype().name()).append("\",\"shape\":[");
            long[] shape = s.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + s.byteLength()).append("]}");
            offset += s.byteLength();
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** The index JSON as Python's {@code json.dumps(index, indent=2, sort_keys=True) + "\n"} writes it. */
    private static String indexJson(long totalSize, Map<String, String> weightMap) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(totalSize).append("\n  },\n");
        sb.append("  \"weight_map\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append(first ? "\n" : ",\n").append("    ");
            first = false;
            jsonString(sb, e.getKey(), true);
            sb.append(": ");
            jsonString(sb, e.getValue(), true);
        }
        sb.append(first ? "}" : "\n  }").append("\n}\n");
        return sb.toString();
    }

    /** A JSON string as serde_json ({@code asciiOnly=false}) or Python's ensure_ascii json ({@code true}) writes it. */
    static void jsonString(StringBuilder sb, String s, boolean asciiOnly) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7E)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Unicode code point order: the byte order of UTF-8 (Rust's sort) and Python's string order. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static List<List<Source>> split(List<Source> sources, long maxShardBytes) {
        List<List<Source>> shards = new ArrayList<>();
        List<Source> current = new ArrayList<>();
        long currentSize = 0;
        for (Source s : sources) {
            if (s.byteLength() > maxShardBytes) {
                shards.add(List.of(s));
                continue;
            }
            if (currentSize + s.byteLength() > maxShardBytes && !current.isEmpty()) {
                shards.add(current);
                current = new ArrayList<>();
                currentSize = 0;
            }
            current.add(s);
            currentSize += s.byteLength();
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    private static void deleteStale(Path dir, Set<Path> keep, java.util.function.Predicate<Path> stale) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> !keep.contains(p) && stale.test(p)).toList()) {
                LOG.info("removing {} left by an earlier save in {}", name(p), dir);
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up old weight files in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }

    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    // ---------------------------------------------------------------------------------------------- sources

    /** One tensor to write: its header entry and how to stream its little-endian bytes. */
    private interface Source {
        String name();

        DType dtype();

        long[] shape();

        long byteLength();

        void writeTo(FileChannel ch) throws IOException;
    }

    private static List<Source> arraySources(Map<String, NDArray> tensors, @Nullable DType floatType,
            long chunkBytes) {
        if (floatType != null && !floatType.isFloating()) {
            throw new IllegalArgumentException("floatType must be F32, F16, BF16 or F64, got " + floatType);
        }
        List<Source> sources = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : new LinkedHashMap<>(tensors).entrySet()) {
            sources.add(new ArraySource(e.getKey(), e.getValue(), floatType, chunkBytes));
        }
        return sources;
    }

    private record DataSource(TensorData data) implements Source {
        @Override
        public String name() {
            return data.name();
        }

        @Override
        public DType dtype() {
            return data.dtype();
        }

        @Override
        public long[] shape() {
            return data.shape();
        }

        @Override
        public long byteLength() {
            return data.data().remaining();
        }

        @Override
        public void writeTo(FileChannel ch) throws IOException {
            writeAll(ch, data.data());
        }
    }

    private static final class ArraySource implements Source {
        private final String name;
        private final NDArray array;
        private final DType in;
        private final DType out;
        private final long[] shape;
        private final long chunkBytes;

        ArraySource(String name, NDArray array, @Nullable DType floatType, long chunkBytes) {
            this.name = name;
            this.array = array;
            this.in = DType.fromDataType(array.getDataType()).orElseThrow(() -> new WinnowException(
                    "tensor '" + name + "' has type " + array.getDataType()
                            + ", which safetensors export does not support; supported: FLOAT32, FLOAT16, FLOAT64, "
                            + "INT64, INT32, INT16, INT8, UINT8, BOOLEAN"));
            this.out = floatType != null && in.isFloating() ? floatType : in;
            this.shape = array.getShape().getShape();
            this.chunkBytes = chunkBytes;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public DType dtype() {
            return out;
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long byteLength() {
            return Shapes.byteLength(out, shape, name);
        }

        @Override
        public void writeTo(FileChannel ch) throws IOException {
            long count = Shapes.elementCount(shape, name);
            if (count == 0) {
                return;
            }
            long perChunk = Math.max(1, chunkBytes / Math.max(in.byteSize(), out.byteSize()));
            if (count <= perChunk) {
                writeConverted(ch, array.toByteBuffer(true), in, out);
                return;
            }
            try (NDArray flat = array.reshape(-1)) {
                for (long start = 0; start < count; start += perChunk) {
                    long end = Math.min(count, start + perChunk);
                    try (NDArray part = flat.get(new NDIndex("{}:{}", start, end))) {
                        writeConverted(ch, part.toByteBuffer(true), in, out);
                    }
                }
            }
        }
    }

    /** Writes the elements in {@code src} (native order, type {@code in}) as little-endian {@code out}. */
    private static void writeConverted(FileChannel ch, ByteBuffer src, DType in, DType out) throws IOException {
        ByteBuffer s = src.duplicate().order(ByteOrder.nativeOrder());
        if (in == out && s.order() == ByteOrder.LITTLE_ENDIAN) {
            writeAll(ch, s);
            return;
        }
        int inSize = in.byteSize();
        long count = s.remaining() / inSize;
        ByteBuffer scratch = ByteBuffer.allocate(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perScratch = SCRATCH_BYTES / out.byteSize();
        int base = s.position();
        for (long i = 0; i < count; ) {
            int m = (int) Math.min(perScratch, count - i);
            scratch.clear();
            for (int j = 0; j < m; j++) {
                int at = base + (int) ((i + j) * inSize);
                convertOne(s, at, in, scratch, out);
            }
            scratch.flip();
            writeAll(ch, scratch);
            i += m;
        }
    }

    private static void convertOne(ByteBuffer s, int at, DType in, ByteBuffer d, DType out) {
        if (in == out) {
            switch (in.byteSize()) {
                case 1 -> d.put(s.get(at));
                case 2 -> d.putShort(s.getShort(at));
                case 4 -> d.putInt(s.getInt(at));
                default -> d.putLong(s.getLong(at));
            }
            return;
        }
        double v = switch (in) {
            case F32 -> s.getFloat(at);
            case F16 -> HalfPrecision.f16ToFloat(s.getShort(at));
            case BF16 -> HalfPrecision.bf16ToFloat(s.getShort(at));
            case F64 -> s.getDouble(at);
            default -> throw new IllegalStateException("cannot convert " + in + " to " + out);
        };
        switch (out) {
            case F32 -> d.putFloat((float) v);
            case F16 -> d.putShort(HalfPrecision.floatToF16((float) v));
            case BF16 -> d.putShort(HalfPrecision.floatToBf16((float) v));
            case F64 -> d.putDouble(v);
            default -> throw new IllegalStateException("cannot convert " + in + " to " + out);
        }
    }
}
