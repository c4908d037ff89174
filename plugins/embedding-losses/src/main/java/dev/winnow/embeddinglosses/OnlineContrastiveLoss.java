package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;

/**
 * {@code online_contrastive}: sentence-transformers' OnlineContrastiveLoss with cosine distance
 * {@code d = 1 - cos}. Only hard pairs count: negatives (label 0) closer than the farthest positive, and positives
 * (label 1) farther than the closest negative; with at most one pair on the other side the threshold is the mean
 * of the pair's own side, as in sentence-transformers. The loss is a <em>sum</em> (not a mean) of
 * {@code d^2} over hard positives and {@code relu(margin - d)^2} over hard negatives. Labels must be 0 or 1.
 */
public final class OnlineContrastiveLoss implements EmbeddingLoss {
    static final String ID = "online_contrastive";

    @Override
    public boolean labelledPairs() {
        return true;
    }

    private final double margin;

    public OnlineContrastiveLoss(ContrastiveConfig config) {
        this.margin = config.margin();
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        NDArray y = Embeddings.labels(batch, ID);
        int rows = (int) batch.queries().getShape().get(0);
        float[] valid = new float[rows];
        NDArray d = Embeddings.pairCosine(batch, ID, valid).neg().add(1);
        double[] dv = d.stopGradient().toType(DataType.FLOAT64, false).toDoubleArray();
        double[] yv = y.toType(DataType.FLOAT64, false).toDoubleArray();
        double posMax = Double.NEGATIVE_INFINITY;
        double posSum = 0;
        int posCount = 0;
        double negMin = Double.POSITIVE_INFINITY;
        double negSum = 0;
        int negCount = 0;
        for (int i = 0; i < rows; i++) {
            if (valid[i] == 0) {
                continue;
            }
            if (yv[i] == 1) {
                posMax = Math.max(posMax, dv[i]);
                posSum += dv[i];
                posCount++;
            } else if (yv[i] == 0) {
                negMin = Math.min(negMin, dv[i]);
                negSum += dv[i];
                negCount++;
            } else {
                throw new UserException("loss " + ID + " takes labels 0 or 1, but batch row " + i + " has label "
                        + yv[i] + "; use loss contrastive or cosine_similarity for graded labels");
            }
        }
        // sentence-transformers: negs[negs < (poss.max() if len(poss) > 1 else negs.mean())],
        // poss[poss > (negs.min() if len(negs) > 1 else poss.mean())]; the mean of an empty side is NaN (no pair).
        double negThreshold = posCount > 1 ? posMax : negCount == 0 ? Double.NaN : negSum / negCount;
        double posThreshold = negCount > 1 ? negMin : posCount == 0 ? Double.NaN : posSum / posCount;
        float[] hardPos = new float[rows];
        float[] hardNeg = new float[rows];
        for (int i = 0; i < rows; i++) {
            if (valid[i] == 0) {
                continue;
            }
            if (yv[i] == 1 && dv[i] > posThreshold) {
                hardPos[i] = 1;
            } else if (yv[i] == 0 && dv[i] < negThreshold) {
                hardNeg[i] = 1;
            }
        }
        NDArray positives = d.square().mul(d.getManager().create(hardPos)).sum();
        NDArray negatives = d.neg().add(margin).maximum(d.getManager().full(new Shape(), 0f)).square().mul(d.getManager().create(hardNeg)).sum();
        return positives.add(negatives);
    }
}
