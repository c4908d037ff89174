package dev.winnow.nn.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads tensors from a safetensors file, a Hugging Face sharded checkpoint ({@code *.index.json}), or a model
 * directory. Headers are parsed and validated when opened; tensor bytes are memory-mapped one region at a time when
 * read, so files of any size work and a tensor larger than one Java buffer is loaded in chunks. Every problem with
 * a file is a {@link UserException} naming the file and the tensor.
 *
 * <p>Not thread-safe for {@link #close()} racing reads; reads themselves may run concurrently.
 */
public final class SafetensorsReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsReader.class);

    /** The format's own limit on the JSON header (the safetensors crate refuses larger). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest region mapped at once, and the largest tensor {@link #read} returns: one Java buffer's reach. */
    static final long DEFAULT_MAX_REGION_BYTES = Integer.MAX_VALUE & ~63L;
    /** How much of a tensor {@link #load} converts and copies at once. */
    static final long LOAD_CHUNK_BYTES = 64L << 20;
    /** The index file Hugging Face writes next to sharded weights. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path source;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, FileChannel> channels;
    private final Map<String, String> metadata;
    private final long maxRegionBytes;

    private SafetensorsReader(Path source, Map<String, TensorInfo> tensors, Map<Path, FileChannel> channels,
            Map<String, String> metadata, long maxRegionBytes) {
        this.source = source;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.channels = channels;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.maxRegionBytes = maxRegionBytes;
    }

    /**
     * Opens {@code path}: a {@code .safetensors} file; a {@code *.index.json} of a sharded checkpoint; or a
     * directory, read through its {@value #INDEX_FILE} when present, else through all its {@code *.safetensors}.
     */
    public static SafetensorsReader open(Path path) {
        return open(path, DEFAULT_MAX_REGION_BYTES);
    }

    /** As {@link #open(Path)}, mapping and converting at most {@code maxRegionBytes} at once (tests use small). */
    static SafetensorsReader open(Path path, long maxRegionBytes) {
        if (maxRegionBytes < 8) {
            throw new IllegalArgumentException("maxRegionBytes must be at least 8, got " + maxRegionBytes);
        }
        if (!Files.exists(path)) {
            throw new UserException("weights path " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                return fromIndex(index, maxRegionBytes);
            }
            List<Path> files = listSafetensors(path);
            if (files.isEmpty()) {
                throw new UserException(path + " holds no safetensors weights: expected model.safetensors, or "
                        + INDEX_FILE + " with its shards, or other *.safetensors files" + otherWeightsHint(path));
            }
            return fromFiles(path, files, maxRegionBytes);
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return fromIndex(path, maxRegionBytes);
        }
        return fromFiles(path, List.of(path), maxRegionBytes);
    }

    /** Names of all tensors, in file order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Where tensor {@code name} lives, if present. */
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The {@code __metadata__} string map (merged over shards; empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The path this reader was opened on. */
    public Path source() {
        return source;
    }

    /**
     * The raw bytes of tensor {@code name}, as a read-only view mapped from the file (no copy). A tensor larger
     * than one Java buffer cannot be returned this way: use {@link #load}.
     */
    public TensorData read(String name) {
        TensorInfo t = require(name);
        if (t.length() > maxRegionBytes) {
            throw new UserException("tensor '" + name + "' in " + t.file() + " is " + t.length()
                    + " bytes, more than one Java buffer can hold (" + maxRegionBytes
                    + "); load it with load(), which reads it in chunks");
        }
        return new TensorData(name, t.dtype(), t.shape(), map(t, 0, t.length()));
    }

    /**
     * Loads tensor {@code name} into {@code manager}. Floating dtypes (F32, F16, BF16, F64) become FLOAT32; integer
     * dtypes keep their type except I16, which becomes INT32 (DJL's engine aborts on INT16); BOOL becomes BOOLEAN.
     * The array owns a copy of the bytes: it stays valid after this reader closes and may be updated in place.
     */
    public NDArray load(String name, NDManager manager) {
        TensorInfo t = require(name);
        DataType out = t.dtype().loadedType();
        if (t.dtype() == DType.F64) {
            LOG.warn("tensor '{}' in {} is F64; loading it as FLOAT32 rounds its values", name, t.file());
        }
        Shape shape = new Shape(t.shape());
        long count = t.elementCount();
        if (count == 0) {
            return manager.create(shape, out);
        }
        // The array is allocated by the engine, then filled chunk by chunk from the mapped file, so neither the
        // JVM heap nor its direct-memory limit ever holds more than one chunk.
        long perChunk = Math.max(1, loadChunkBytes() / Math.max(t.dtype().byteSize(), out.getNumOfBytes()));
        boolean convert = t.dtype().byteSize() != out.getNumOfBytes()
                || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN;
        ByteBuffer scratch = convert
                ? ByteBuffer.allocateDirect(Math.toIntExact(Math.min(count, perChunk) * out.getNumOfBytes()))
                : null;
        NDArray flat = manager.create(new Shape(count), out);
        try {
            for (long start = 0; start < count; start += perChunk) {
                long n = Math.min(perChunk, count - start);
                ByteBuffer src = map(t, start * t.dtype().byteSize(), n * t.dtype().byteSize());
                ByteBuffer chunk = scratch == null ? src : convert(src, t.dtype(), (int) n, scratch);
                // The part wraps the chunk without a copy; set() copies it into the engine's own memory.
                try (NDArray part = manager.create(chunk, new Shape(n), out)) {
                    flat.set(new NDIndex("{}:{}", start, start + n), part);
                }
            }
            if (shape.equals(flat.getShape())) {
                return flat;
            }
            NDArray shaped = flat.reshape(shape); // a view: it keeps the storage alive after flat's handle closes
            flat.close();
            return shaped;
        } catch (RuntimeException e) {
            flat.close();
            throw e;
        }
    }

    /** Loads every tensor (see {@link #load}), in file order. On failure the arrays loaded so far are closed. */
    public Map<String, NDArray> loadAll(NDManager manager) {
        Map<String, NDArray> result = new LinkedHashMap<>();
        try {
            for (String name : tensors.keySet()) {
                result.put(name, load(name, manager));
            }
        } catch (RuntimeException e) {
            result.values().forEach(NDArray::close);
            throw e;
        }
        return result;
    }

    @Override
    public void close() {
        UncheckedIOException failure = null;
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                failure = new UncheckedIOException("cannot close " + source + ": " + e.getMessage(), e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private TensorInfo require(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            String examples = tensors.keySet().stream().limit(5).collect(Collectors.joining(", "));
            throw new UserException("tensor '" + name + "' not found in " + source + "; it has " + tensors.size()
                    + " tensors" + (tensors.isEmpty() ? "" : ", e.g. " + examples));
        }
        return t;
    }

    /** Maps {@code length} bytes of tensor {@code t} starting {@code from} bytes into it. */
    private ByteBuffer map(TensorInfo t, long from, long length) {
        FileChannel ch = channels.get(t.file());
        if (ch == null || !ch.isOpen()) {
            throw new IllegalStateException("reader for " + source + " is closed");
        }
        try {
            return ch.map(FileChannel.MapMode.READ_ONLY, t.offset() + from, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor '" + t.name() + "' from " + t.file() + ": "
                    + e.getMessage(), e);
        }
    }

    private long loadChunkBytes() {
        return Math.min(maxRegionBytes, LOAD_CHUNK_BYTES);
    }

    /** Converts {@code n} little-endian {@code in} elements to the loaded type, into {@code scratch} (native order). */
    private static ByteBuffer convert(ByteBuffer src, DType in, int n, ByteBuffer scratch) {
        int outSize = in.loadedType().getNumOfBytes();
        ByteBuffer dst = scratch.clear().limit(n * outSize).slice().order(ByteOrder.nativeOrder());
        switch (in) {
            case BF16 -> {
                ShortBuffer s = src.asShortBuffer();
                IntBuffer d = dst.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    d.put(i, (s.get(i) & 0xFFFF) << 16);
                }
            }
            case F16 -> {
                ShortBuffer s = src.asShortBuffer();
                FloatBuffer d = dst.asFloatBuffer();
                for (int i = 0; i < n; i++) {
                    d.put(i, HalfPrecision.f16ToFloat(s.get(i)));
                }
            }
            case I16 -> {
                ShortBuffer s = src.asShortBuffer();
                IntBuffer d = dst.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    d.put(i, s.get(i));
                }
            }
            case F64 -> {
                DoubleBuffer s = src.asDoubleBuffer();
                FloatBuffer d = dst.asFloatBuffer();
                for (int i = 0; i < n; i++) {
                    d.put(i, (float) s.get(i));
                }
            }
            default -> Buffers.copyElements(src, dst, in.byteSize());
        }
        return dst;
    }

    // ---------------------------------------------------------------------------------------------- opening

    private static SafetensorsReader fromFiles(Path source, List<Path> files, long maxRegionBytes) {
        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            Map<String, TensorInfo> all = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Path file : files) {
                ParsedFile parsed = parse(file, openChannel(file, channels));
                for (TensorInfo t : parsed.tensors()) {
                    TensorInfo previous = all.putIfAbsent(t.name(), t);
                    if (previous != null) {
                        throw new UserException("tensor '" + t.name() + "' is in both " + previous.file() + " and "
                                + t.file() + "; remove one of the files from " + source);
                    }
                }
                parsed.metadata().forEach(metadata::putIfAbsent);
            }
            return new SafetensorsReader(source, all, channels, metadata, maxRegionBytes);
        } catch (RuntimeException e) {
            closeQuietly(channels);
            throw e;
        }
    }

    private static SafetensorsReader fromIndex(Path index, long maxRegionBytes) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            throw new UserException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new UserException(index + ": has no 'weight_map' object mapping tensor names to shard files");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, List<String>> byShard = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new UserException(index + ": weight_map entry for tensor '" + e.getKey()
                        + "' must be a file name, found " + e.getValue());
            }
            byShard.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey());
        }
        List<Path> shards = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            Path shard = dir.resolve(e.getKey());
            if (!Files.isRegularFile(shard)) {
                throw new UserException(index + ": tensor '" + e.getValue().get(0) + "' maps to shard '"
                        + e.getKey() + "', which is not a file in " + dir);
            }
            shards.add(shard);
        }
        SafetensorsReader reader = fromFiles(index, shards, maxRegionBytes);
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            Path shard = dir.resolve(e.getKey());
            for (String name : e.getValue()) {
                TensorInfo t = reader.tensors.get(name);
                if (t == null || !t.file().equals(shard)) {
                    reader.close();
                    throw new UserException(index + ": tensor '" + name + "' maps to shard '" + e.getKey()
                            + "', which has no such tensor" + (t == null ? "" : " (it is in " + t.file() + ")"));
                }
            }
        }
        return reader;
    }

    private static FileChannel openChannel(Path file, Map<Path, FileChannel> channels) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            channels.put(file, ch);
            return ch;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> listSafetensors(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String otherWeightsHint(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> others = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".h5")
                            || n.endsWith(".onnx") || n.endsWith(".msgpack"))
                    .sorted()
                    .toList();
            return others.isEmpty() ? "" : " (found " + String.join(", ", others)
                    + ", which Winnow does not read: convert the weights to safetensors first)";
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(Map<Path, FileChannel> channels) {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("cannot close {}", ch, e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- header

    private record ParsedFile(List<TensorInfo> tensors, Map<String, String> metadata) {}

    private static ParsedFile parse(Path file, FileChannel ch) {
        long size;
        try {
            size = ch.size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (size < 8) {
            throw new UserException(file + ": is " + size
                    + " bytes, too short for a safetensors file (it starts with an 8-byte header length)");
        }
        long headerLength = readFully(file, ch, 0, 8).getLong(0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new UserException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " is over the format's limit of " + MAX_HEADER_BYTES
                    + " bytes; this is not a safetensors file, or it is corrupt");
        }
        if (headerLength > size - 8) {
            throw new UserException(file + ": header length " + headerLength + " runs past the end of the file ("
                    + size + " bytes); the file is truncated");
        }
        ByteBuffer headerBytes = readFully(file, ch, 8, (int) headerLength);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            throw new UserException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse the header of " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new UserException(file + ": header must be a JSON object, found "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType()));
        }
        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.add(readEntry(file, e.getKey(), e.getValue(), dataStart, dataLength));
            }
        }
        checkLayout(file, tensors, dataStart, dataLength);
        return new ParsedFile(tensors, metadata);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> into) {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new UserException(file + ": __metadata__ must be an object of strings, found " + node.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new UserException(file + ": __metadata__ must map names to strings; '" + m.getKey()
                        + "' is " + m.getValue().getNodeType());
            }
            into.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo readEntry(Path file, String name, JsonNode node, long dataStart, long dataLength) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new UserException(where + ": entry must be an object with dtype, shape and data_offsets, found "
                    + node.getNodeType());
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new UserException(where + ": missing or non-string 'dtype'");
        }
        String dtypeName = dtypeNode.asText();
        DType dtype = DType.fromSafetensors(dtypeName).orElseThrow(() -> new UserException(where + " has dtype '"
                + dtypeName + "', which Winnow cannot read; supported: " + DType.supportedNames()));
        long[] shape = longs(node.get("shape"), -1);
        if (shape == null) {
            throw new UserException(where + ": 'shape' must be an array of non-negative integers, found "
                    + node.get("shape"));
        }
        long[] offsets = longs(node.get("data_offsets"), 2);
        if (offsets == null || offsets[0] > offsets[1]) {
            throw new UserException(where + ": 'data_offsets' must be [begin, end] with 0 <= begin <= end, found "
                    + node.get("data_offsets"));
        }
        long expected;
        try {
            expected = Shapes.byteLength(dtype, shape, name);
        } catch (ArithmeticException e) {
            throw new UserException(where + ": shape " + Arrays.toString(shape) + " is too large", e);
        }
        long span = offsets[1] - offsets[0];
        if (span != expected) {
            throw new UserException(where + " is " + dtype + " of shape " + Arrays.toString(shape) + ", which takes "
                    + expected + " bytes, but its data_offsets " + Arrays.toString(offsets) + " span " + span
                    + " bytes");
        }
        if (offsets[1] > dataLength) {
            throw new UserException(where + " has data_offsets " + Arrays.toString(offsets)
                    + " past the end of the data (" + dataLength + " bytes after the header); the file is truncated");
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + offsets[0], span);
    }

    /** The node as non-negative longs, or null when it is not such an array (of {@code size}, unless -1). */
    private static long @Nullable [] longs(@Nullable JsonNode node, int size) {
        if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
            return null;
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                return null;
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static void checkLayout(Path file, List<TensorInfo> tensors, long dataStart, long dataLength) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::length));
        long covered = 0;
        long end = dataStart;
        TensorInfo last = null;
        for (TensorInfo t : byOffset) {
            if (last != null && t.offset() < end && t.length() > 0) {
                throw new UserException(file + ": tensors '" + last.name() + "' (bytes " + range(last, dataStart)
                        + ") and '" + t.name() + "' (bytes " + range(t, dataStart) + ") overlap");
            }
            covered += t.length();
            if (t.length() > 0 || last == null) {
                end = Math.max(end, t.offset() + t.length());
                last = t;
            }
        }
        long unused = dataLength - covered;
        if (unused > 0) {
            LOG.warn("{}: {} of its {} data bytes belong to no tensor; they are ignored", file, unused, dataLength);
        }
    }

    private static String range(TensorInfo t, long dataStart) {
        return "[" + (t.offset() - dataStart) + ", " + (t.offset() - dataStart + t.length()) + "]";
    }

    private static ByteBuffer readFully(Path file, FileChannel ch, long position, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (buf.hasRemaining()) {
                if (ch.read(buf, position + buf.position()) < 0) {
                    throw new EOFException("unexpected end of file");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return buf.flip();
    }
}
