package dev.winnow.nn.weights;

import java.util.Arrays;

/** Overflow-checked element counts and byte lengths. */
final class Shapes {
    private Shapes() {}

    static long elementCount(long[] shape, String name) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static long byteLength(DType dtype, long[] shape, String name) {
        return Math.multiplyExact(elementCount(shape, name), (long) dtype.byteSize());
    }
}
