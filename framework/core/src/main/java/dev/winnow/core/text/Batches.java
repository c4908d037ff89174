package dev.winnow.core.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Padded batches of token ids, and length-sorted batching that restores the caller's order. */
public final class Batches {
    private Batches() {}

    /** Pads {@code inputs} to the longest one, on the left or right, into int64 arrays on {@code manager}. */
    public static TokenBatch pad(List<Encoded> inputs, long padId, boolean padLeft, NDManager manager) {
        int rows = inputs.size();
        int length = inputs.stream().mapToInt(e -> e.ids().length).max().orElse(0);
        long[] ids = new long[rows * length];
        long[] mask = new long[rows * length];
        long[] types = new long[rows * length];
        for (int r = 0; r < rows; r++) {
            Encoded e = inputs.get(r);
            int n = e.ids().length;
            int offset = r * length + (padLeft ? length - n : 0);
            java.util.Arrays.fill(ids, r * length, (r + 1) * length, padId);
            for (int i = 0; i < n; i++) {
                ids[offset + i] = e.ids()[i];
                mask[offset + i] = 1;
                types[offset + i] = i < e.typeIds().length ? e.typeIds()[i] : 0;
            }
        }
        Shape shape = new Shape(rows, length);
        NDArray idArray = manager.create(ids, shape);
        NDArray maskArray = manager.create(mask, shape);
        NDArray typeArray = manager.create(types, shape);
        return new TokenBatch(idArray, maskArray, typeArray);
    }

    /**
     * Indices of {@code inputs} grouped into batches of at most {@code batchSize}, longest first, so that padding
     * is small; callers scatter results back by these indices to keep their order.
     */
    public static List<int[]> byLength(List<Encoded> inputs, int batchSize) {
        Integer[] order = IntStream.range(0, inputs.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> inputs.get(i).ids().length).reversed()
                .thenComparingInt(i -> i));
        List<int[]> batches = new ArrayList<>();
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            int[] b = new int[end - start];
            for (int i = start; i < end; i++) {
                b[i - start] = order[i];
            }
            batches.add(b);
        }
        return batches;
    }
}
