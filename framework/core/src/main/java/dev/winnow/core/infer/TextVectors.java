package dev.winnow.core.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.text.Batches;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a model over encoded inputs without autograd: batches by length (little padding), one sub-manager per batch
 * (memory stays flat), each input's output row (an embedding, or a reranker's logits) returned in input order.
 */
public final class TextVectors {
    /** Rows of every forward call in {@link #encodeExact} (short groups are filled with copies of their last row). */
    public static final int EXACT_ROWS = 4;

    private TextVectors() {}

    /**
     * As {@link #encode}, but every row is computed in a tensor of one canonical shape, a function of that row alone:
     * {@link #EXACT_ROWS} rows padded to {@link Batches#bucket} of its own length (a multiple of 8), batched only with
     * rows of that padded length, a short group filled with copies of its last row (their outputs dropped). The
     * float sums inside attention and the matrix products change with the padded length and with the number of rows
     * (by ~1e-5 on CPU: measured, B = 1 and 2 differ from B >= 4), never with the neighbours' contents; so a row
     * gives the same bits whichever other rows share the call ({@code CrossEncoder.predict}, {@code Embedder.encode}
     * and {@code runner serve}, which merges requests). The price: up to 3 copied rows and 7 pad tokens per row.
     */
    public static float[][] encodeExact(TextModel model, List<Encoded> encoded, NDManager manager, boolean normalize) {
        float[][] out = new float[encoded.size()][];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int[] batch : Batches.byBucket(encoded, EXACT_ROWS, model.maxLength())) {
                List<Encoded> rows = new ArrayList<>(EXACT_ROWS);
                for (int i : batch) {
                    rows.add(encoded.get(i));
                }
                while (rows.size() < EXACT_ROWS) {
                    rows.add(rows.get(rows.size() - 1));
                }
                int length = Batches.bucket(encoded.get(batch[0]).ids().length, model.maxLength());
                try (NDManager scope = manager.newSubManager()) {
                    NDArray vectors = model.forward(rows, length, scope, false).reshape(EXACT_ROWS, -1);
                    if (normalize) {
                        vectors = vectors.normalize(2, 1, 1e-12);
                    }
                    float[] flat = vectors.toFloatArray();
                    int dim = flat.length / EXACT_ROWS;
                    for (int r = 0; r < batch.length; r++) {
                        out[batch[r]] = java.util.Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }

    /**
     * @param normalize L2-normalise each row (a model built with normalize: false returns raw pooled states)
     */
    public static float[][] encode(TextModel model, List<Encoded> encoded, int batchSize, NDManager manager, boolean normalize) {
        float[][] out = new float[encoded.size()][];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int[] batch : Batches.byLength(encoded, batchSize)) {
                List<Encoded> rows = new ArrayList<>(batch.length);
                for (int i : batch) {
                    rows.add(encoded.get(i));
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray vectors = model.forward(rows, scope, false)
                            .reshape(batch.length, -1);
                    if (normalize) {
                        vectors = vectors.normalize(2, 1, 1e-12);
                    }
                    float[] flat = vectors.toFloatArray();
                    int dim = flat.length / batch.length;
                    for (int r = 0; r < batch.length; r++) {
                        out[batch[r]] = java.util.Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }

    public static float dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return (float) s;
    }
}
