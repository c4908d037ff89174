package dev.winnow.api.loss;

/**
 * A ranking loss whose groups the runner assembles from the micro-batch, as sentence-transformers' cross-encoder
 * {@code MultipleNegativesRankingLoss} does: for each query, its positive first, then {@link #numNegatives()}
 * documents drawn uniformly without replacement (seeded) from the other queries' candidates in the micro-batch
 * (their positives and hard negatives), then the query's own hard negatives. Every (query, document) pair is
 * scored by the cross-encoder; labels are 1 for the positive and 0 for every other entry.
 */
public interface InBatchNegativesLoss extends RankingLoss {
    /** In-batch documents drawn per query; 0 or less means every other query's candidates. */
    int numNegatives();
}
