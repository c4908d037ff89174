package dev.winnow.nn.weights;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where a tensor lives: its dtype and shape as the header declares them, the file holding it, and its byte range
 * ({@code offset} is absolute in the file, past the header).
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long offset, long length) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** The shape (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long elementCount() {
        return Shapes.elementCount(shape, name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && file.equals(t.file) && offset == t.offset && length == t.length;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), file, offset, length);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + ", " + dtype + ", " + Arrays.toString(shape) + ", " + file + " @" + offset
                + "+" + length + "]";
    }
}
