package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;

/**
 * {@code contrastive}: sentence-transformers' ContrastiveLoss with cosine distance {@code d = 1 - cos}:
 * {@code mean_i 0.5 * (y_i * d_i^2 + (1 - y_i) * relu(margin - d_i)^2)}, with y = 1 for similar pairs and 0 for
 * dissimilar ones. Rows whose document is padding are left out of the mean.
 */
public final class ContrastiveLoss implements EmbeddingLoss {
    static final String ID = "contrastive";

    @Override
    public boolean labelledPairs() {
        return true;
    }

    private final double margin;

    public ContrastiveLoss(ContrastiveConfig config) {
        this.margin = config.margin();
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        NDArray y = Embeddings.labels(batch, ID);
        float[] valid = new float[(int) batch.queries().getShape().get(0)];
        NDArray d = Embeddings.pairCosine(batch, ID, valid).neg().add(1);
        NDArray similar = y.mul(d.square());
        NDArray dissimilar = y.neg().add(1).mul(d.neg().add(margin).maximum(d.getManager().full(new Shape(), 0f)).square()); // full(): libtorch-owned scalar; DJL's mul(Number)/maximum(Number) let backward read a freed one
        return Embeddings.maskedMean(similar.add(dissimilar).mul(d.getManager().full(new Shape(), 0.5f)), valid);
    }
}
