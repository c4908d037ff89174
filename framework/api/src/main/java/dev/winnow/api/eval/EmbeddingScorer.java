package dev.winnow.api.eval;

import dev.winnow.api.data.QueryRecord;
import java.util.List;

/**
 * The {@link Scorer} of an embedding model, which also hands out its vectors: retrieval evaluators encode a corpus
 * once and search it. Vectors are L2-normalised, so a dot product is the cosine; {@link #score} returns the cosine
 * of each (query, document) pair.
 */
public interface EmbeddingScorer extends Scorer {
    /** One vector per query, the query rendered with its record's instruction (or the template's prompt). */
    float[][] encodeQueries(List<QueryRecord> queries);

    /** One vector per document, in order. */
    float[][] encodeDocuments(List<String> documents);
}
