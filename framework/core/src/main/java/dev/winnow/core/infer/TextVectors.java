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
    private TextVectors() {}

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
