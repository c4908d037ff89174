package dev.winnow.core.data;

import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import java.util.List;

/**
 * One training example for a query. In listwise grouping ({@code group_size > 1}) the first candidate is the
 * positive and the others are negatives, in random order; in pointwise grouping ({@code group_size = 1}) the
 * group holds one candidate, positive or negative, whose label is the target.
 */
public record Group(QueryRecord source, List<Candidate> candidates) {
    public Group {
        candidates = List.copyOf(candidates);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("a group needs at least one candidate");
        }
    }

    public int size() {
        return candidates.size();
    }
}
