package dev.winnow.nn.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Validated attention dimensions: batch, query heads, kv heads, query and key lengths, head size. */
record AttentionShape(long b, long h, long hkv, long l, long s, long d) {

    long group() {
        return h / hkv;
    }

    static AttentionShape check(NDArray q, NDArray k, NDArray v) {
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        if (qs.dimension() != 4 || ks.dimension() != 4 || !ks.equals(vs)) {
            throw new IllegalArgumentException(
                    "attention needs q [B,H,L,D] and k, v [B,Hkv,S,D] of one shape; got q "
                            + qs + ", k " + ks + ", v " + vs);
        }
        if (qs.get(0) != ks.get(0) || qs.get(3) != ks.get(3) || qs.get(1) % ks.get(1) != 0) {
            throw new IllegalArgumentException(
                    "attention: batch and head size must match and H must be a multiple of Hkv;"
                            + " got q " + qs + ", k " + ks);
        }
        return new AttentionShape(qs.get(0), qs.get(1), ks.get(1), qs.get(2), ks.get(2), qs.get(3));
    }
}
