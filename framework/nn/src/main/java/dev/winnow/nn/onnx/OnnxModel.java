package dev.winnow.nn.onnx;

import dev.winnow.api.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of an ONNX {@code ModelProto} an importer needs: the graph's initializers (weights) and nodes. A small
 * protobuf wire-format decoder written for this, so no protobuf dependency is needed. Tensor bytes are views into
 * the memory-mapped file.
 */
public record OnnxModel(List<Initializer> initializers, List<Node> nodes) {
    /** ONNX TensorProto data types that importers read. */
    public static final int FLOAT = 1;
    public static final int INT32 = 6;
    public static final int INT64 = 7;
    public static final int FLOAT16 = 10;
    public static final int DOUBLE = 11;

    /** A weight: name, ONNX data type, dims and little-endian raw bytes. */
    public record Initializer(String name, int dataType, long[] dims, ByteBuffer data) {
        public float[] floats() {
            if (dataType != FLOAT) {
                throw new UserException("initializer " + name + " has ONNX data type " + dataType + ", not FLOAT (1)");
            }
            float[] out = new float[data.remaining() / 4];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    /**
     * A graph node: operator, inputs and outputs by name; for a {@code Constant} node holding integers, its values
     * (the importer reads attention head counts from them).
     */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs, long[] constantInts) {}

    public static OnnxModel read(Path file) {
        ByteBuffer buf;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new UserException(file + " is larger than 2 GB; ONNX files with external data are not supported");
            }
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try {
            List<Initializer> inits = new ArrayList<>();
            List<Node> nodes = new ArrayList<>();
            Reader model = new Reader(buf, 0, buf.limit());
            while (model.more()) {
                int tag = model.tag();
                if ((tag >>> 3) == 7 && (tag & 7) == 2) { // graph
                    Reader graph = model.sub();
                    while (graph.more()) {
                        int g = graph.tag();
                        if ((g >>> 3) == 1 && (g & 7) == 2) {
                            nodes.add(node(graph.sub()));
                        } else if ((g >>> 3) == 5 && (g & 7) == 2) {
                            inits.add(tensor(graph.sub(), file));
                        } else {
                            graph.skip(g);
                        }
                    }
                } else {
                    model.skip(tag);
                }
            }
            return new OnnxModel(inits, nodes);
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw new UserException(file + " is not a readable ONNX model (truncated or not protobuf): " + e.getMessage());
        }
    }

    private static Node node(Reader r) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        long[] ints = new long[0];
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> {
                    long[] v = attributeInts(r.sub());
                    if (v != null) {
                        ints = v;
                    }
                }
                default -> r.skip(tag);
            }
        }
        return new Node(name, op, in, out, ints);
    }

    /** The int64 values of an attribute's tensor ({@code value} of a Constant), or null. */
    private static long @org.jspecify.annotations.Nullable [] attributeInts(Reader r) {
        long[] out = null;
        while (r.more()) {
            int tag = r.tag();
            if ((tag >>> 3) == 5 && (tag & 7) == 2) {
                Reader t = r.sub();
                int type = 0;
                ByteBuffer raw = null;
                List<Long> values = new ArrayList<>();
                while (t.more()) {
                    int tt = t.tag();
                    if ((tt >>> 3) == 2) {
                        type = (int) t.varint();
                    } else if ((tt >>> 3) == 9) {
                        raw = t.bytes();
                    } else if ((tt >>> 3) == 7 && (tt & 7) == 0) {
                        values.add(t.varint());
                    } else if ((tt >>> 3) == 7 && (tt & 7) == 2) {
                        Reader packed = t.sub();
                        while (packed.more()) {
                            values.add(packed.varint());
                        }
                    } else {
                        t.skip(tt);
                    }
                }
                if (type == INT64 && raw != null) {
                    out = new long[raw.remaining() / 8];
                    raw.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
                } else if (type == INT64) {
                    out = values.stream().mapToLong(Long::longValue).toArray();
                }
            } else {
                r.skip(tag);
            }
        }
        return out;
    }

    private static Initializer tensor(Reader r, Path file) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        ByteBuffer raw = null;
        ByteBuffer floats = null;
        while (r.more()) {
            int tag = r.tag();
            int field = tag >>> 3;
            int wire = tag & 7;
            if (field == 1 && wire == 0) {
                dims.add(r.varint());
            } else if (field == 1 && wire == 2) {
                Reader packed = r.sub();
                while (packed.more()) {
                    dims.add(packed.varint());
                }
            } else if (field == 2) {
                type = (int) r.varint();
            } else if (field == 8) {
                name = r.string();
            } else if (field == 9) {
                raw = r.bytes();
            } else if (field == 4 && wire == 2) {
                floats = r.bytes();
            } else if (field == 14 && wire == 0) {
                if (r.varint() == 1) {
                    throw new UserException(file + ": initializer " + name + " keeps its data in an external file, "
                            + "which the importer does not read");
                }
            } else {
                r.skip(tag);
            }
        }
        ByteBuffer data = raw != null ? raw : floats != null ? floats : ByteBuffer.allocate(0);
        return new Initializer(name, type, dims.stream().mapToLong(Long::longValue).toArray(), data.order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A protobuf wire-format cursor over [pos, end). */
    private static final class Reader {
        private final ByteBuffer buf;
        private int pos;
        private final int end;

        Reader(ByteBuffer buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = buf.get(pos++);
                result |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
            }
            throw new IllegalStateException("malformed varint at byte " + pos);
        }

        Reader sub() {
            int len = (int) varint();
            if (len < 0 || pos + len > end) {
                throw new IllegalStateException("length " + len + " at byte " + pos + " runs past the end");
            }
            Reader r = new Reader(buf, pos, pos + len);
            pos += len;
            return r;
        }

        ByteBuffer bytes() {
            int len = (int) varint();
            if (len < 0 || pos + len > end) {
                throw new IllegalStateException("length " + len + " at byte " + pos + " runs past the end");
            }
            ByteBuffer out = buf.duplicate();
            out.position(pos).limit(pos + len);
            pos += len;
            return out.slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        String string() {
            ByteBuffer b = bytes();
            byte[] a = new byte[b.remaining()];
            b.get(a);
            return new String(a, StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> sub();
                case 5 -> pos += 4;
                default -> throw new IllegalStateException("unsupported wire type " + (tag & 7) + " at byte " + pos);
            }
        }
    }
}
