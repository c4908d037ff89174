package dev.winnow.nn.weights;

import java.nio.ByteBuffer;

/** Element-wise copies between buffers whose byte orders may differ. */
final class Buffers {
    private Buffers() {}

    /**
     * Copies all remaining bytes of {@code src} into {@code dst} as elements of {@code elementSize} bytes, each
     * buffer read or written in its own byte order. Positions are left unchanged.
     */
    static void copyElements(ByteBuffer src, ByteBuffer dst, int elementSize) {
        ByteBuffer s = src.duplicate().order(src.order());
        ByteBuffer d = dst.duplicate().order(dst.order());
        if (elementSize == 1 || s.order() == d.order()) {
            d.put(s);
            return;
        }
        switch (elementSize) {
            case 2 -> d.asShortBuffer().put(s.asShortBuffer());
            case 4 -> d.asIntBuffer().put(s.asIntBuffer());
            case 8 -> d.asLongBuffer().put(s.asLongBuffer());
            default -> throw new IllegalArgumentException("element size " + elementSize);
        }
    }
}
