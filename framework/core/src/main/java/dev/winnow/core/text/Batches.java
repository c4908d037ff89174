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
        return pad(inputs, padId, padLeft, inputs.stream().mapToInt(e -> e.ids().length).max().orElse(0), manager);
    }

    /** Pads {@code inputs} to {@code length} tokens (at least the longest one), on the left or right. */
    public static TokenBatch pad(List<Encoded> inputs, long padId, boolean padLeft, int length, NDManager manager) {
        int rows = inputs.size();
        length = Math.max(length, inputs.stream().mapToInt(e -> e.ids().length).max().orElse(0));
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

    /** Padded lengths are multiples of this in {@link #byBucket}. */
    public static final int BUCKET = 8;

    /**
     * The padded length of a row of {@code length} tokens in {@link #byBucket}: {@code length} rounded up to a
     * multiple of {@link #BUCKET}, but not past {@code cap} (the model's max length) unless the row itself is longer.
     */
    public static int bucket(int length, int cap) {
        int up = (length + BUCKET - 1) / BUCKET * BUCKET;
        return Math.max(length, Math.min(up, cap));
    }

    /**
     * Indices of {@code inputs} grouped into batches of at most {@code batchSize} rows that share one padded length
     * {@link #bucket}, longest first, ties in input order. Each row's padded length is a function of the row alone,
     * so its tensors have the same shape whichever other rows it is batched with (a server that merges requests
     * computes it exactly as a call with that request alone does).
     */
    public static List<int[]> byBucket(List<Encoded> inputs, int batchSize, int cap) {
        Integer[] order = IntStream.range(0, inputs.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> bucket(inputs.get(i).ids().length, cap)).reversed()
                .thenComparingInt(i -> i));
        List<int[]> batches = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            int b = bucket(inputs.get(order[start]).ids().length, cap);
            int end = start;
            while (end < order.length && end - start < batchSize && bucket(inputs.get(order[end]).ids().length, cap) == b) {
                end++;
            }
            int[] batch = new int[end - start];
            for (int i = start; i < end; i++) {
                batch[i - start] = order[i];
            }
            batches.add(batch);
            start = end;
        }
        return batches;
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
