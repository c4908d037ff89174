package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.api.loss.EmbeddingBatch;

/** Shared pieces of the embedding losses: normalisation, masks read back to Java, labelled-pair cosine. */
final class Embeddings {
    /** Added to a logit to remove it from a softmax; finite so that {@code 0 * masked} stays 0, never NaN. */
    static final float MASKED = -1e9f;

    private static final double NORM_EPS = 1e-12;

    private Embeddings() {}

    /** L2-normalises along the last axis ({@code F.normalize(p=2, dim=-1)}). */
    static NDArray normalize(NDArray x) {
        return x.normalize(2, -1, NORM_EPS);
    }

    /** The document mask as {@code [batch * docs]} floats, 1 for a real document. */
    static float[] mask(EmbeddingBatch batch) {
        long[] docs = batch.documents().getShape().getShape();
        long[] mask = batch.documentMask().getShape().getShape();
        if (docs.length != 3 || mask.length != 2 || mask[0] != docs[0] || mask[1] != docs[1]) {
            throw new WinnowException("embedding batch: documents " + batch.documents().getShape()
                    + " and documentMask " + batch.documentMask().getShape() + " do not agree ([batch, docs, dim] and [batch, docs])");
        }
        float[] out = batch.documentMask().toType(DataType.FLOAT32, false).toFloatArray();
        for (int i = 0; i < out.length; i++) {
            out[i] = out[i] > 0.5f ? 1f : 0f;
        }
        return out;
    }

    /**
     * The cosine of each labelled pair, {@code [batch]}: the query against its first document. A row that carries
     * more real documents is a recipe mistake for a pair loss (it would silently ignore them), so it is refused.
     *
     * @param lossId the loss, for the message
     * @param valid receives 1 for a row whose first document is real, 0 for a fully padded row
     */
    static NDArray pairCosine(EmbeddingBatch batch, String lossId, float[] valid) {
        float[] mask = mask(batch);
        int rows = (int) batch.documents().getShape().get(0);
        int docs = (int) batch.documents().getShape().get(1);
        for (int g = 0; g < rows; g++) {
            int real = 0;
            for (int j = 0; j < docs; j++) {
                real += (int) mask[g * docs + j];
            }
            if (real > 1) {
                throw new UserException("loss " + lossId + " takes labelled pairs (one document per row), but batch row "
                        + g + " carries " + real + " documents; use loss infonce for rows with negatives");
            }
            valid[g] = mask[g * docs];
        }
        NDArray q = normalize(batch.queries());
        NDArray d = normalize(batch.documents().get(":, 0, :"));
        return q.mul(d).sum(new int[] {1});
    }

    /** The labels of a pair loss, {@code [batch]} float32; a batch without labels is a recipe mistake. */
    static NDArray labels(EmbeddingBatch batch, String lossId) {
        NDArray labels = batch.labels();
        if (labels == null) {
            throw new UserException("loss " + lossId + " needs a float label on every row (field label), but the batch"
                    + " has none; use loss infonce for unlabelled (query, positive, negatives) rows");
        }
        return labels.toType(DataType.FLOAT32, false).reshape(-1);
    }

    /** Mean over valid rows of {@code perRow}; a batch without a valid row gives 0 (still attached to the graph). */
    static NDArray maskedMean(NDArray perRow, float[] valid) {
        float count = 0;
        for (float v : valid) {
            count += v;
        }
        NDArray weights = perRow.getManager().create(valid);
        NDArray sum = perRow.mul(weights).sum();
        return count == 0 ? sum : sum.div(sum.getManager().full(new Shape(), count)); // full(): libtorch-owned scalar; DJL's div(Number) let backward read a freed one
    }
}
