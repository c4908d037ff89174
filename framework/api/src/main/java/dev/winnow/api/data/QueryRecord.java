package dev.winnow.api.data;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one shape every dataset format converts to: a query with its candidate documents. A labelled pair is a
 * record with one candidate; a reranker row is a record with its positives and negatives.
 *
 * @param instruction a per-row instruction or prompt (FlagEmbedding's {@code prompt}, SWIFT's system text),
 *     used by templates that take one
 */
public record QueryRecord(
        String id, String query, List<Candidate> candidates, @Nullable String instruction, RowOrigin origin) {
    public QueryRecord {
        candidates = List.copyOf(candidates);
    }

    public List<Candidate> positives() {
        return candidates.stream().filter(Candidate::positive).toList();
    }

    public List<Candidate> negatives() {
        return candidates.stream().filter(c -> !c.positive()).toList();
    }
}
