package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;

/**
 * {@code cosine_similarity}: mean squared error between the cosine of each (query, document) pair and its float
 * label (an STS score in [0, 1], say), as ms-swift's and sentence-transformers' CosineSimilarityLoss. Rows whose
 * document is padding are left out of the mean.
 */
public final class CosineSimilarityLoss implements EmbeddingLoss {
    static final String ID = "cosine_similarity";

    @Override
    public boolean labelledPairs() {
        return true;
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        NDArray labels = Embeddings.labels(batch, ID);
        float[] valid = new float[(int) batch.queries().getShape().get(0)];
        NDArray cos = Embeddings.pairCosine(batch, ID, valid);
        return Embeddings.maskedMean(cos.sub(labels).square(), valid);
    }
}
