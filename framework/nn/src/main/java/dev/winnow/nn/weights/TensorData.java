package dev.winnow.nn.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's raw bytes as stored in a safetensors file: row-major, little-endian, {@code dtype} elements of
 * {@code shape}. The buffer may be a read-only memory-mapped view of the file; its position and limit span exactly
 * the tensor. Equality compares name, dtype, shape and bytes.
 */
public record TensorData(String name, DType dtype, long[] shape, ByteBuffer data) {

    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        long expected = Shapes.byteLength(dtype, shape, name);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + " " + Arrays.toString(shape)
                    + " (" + expected + " bytes) but its buffer holds " + data.remaining() + " bytes");
        }
    }

    /** The shape (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A read-only little-endian view of the bytes, positioned at 0. */
    @Override
    public ByteBuffer data() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of elements. */
    public long elementCount() {
        return Shapes.elementCount(shape, name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return "TensorData[" + name + ", " + dtype + ", " + Arrays.toString(shape) + ", " + data.remaining()
                + " bytes]";
    }
}
