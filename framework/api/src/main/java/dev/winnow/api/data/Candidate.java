package dev.winnow.api.data;

import org.jspecify.annotations.Nullable;

/**
 * One document for a query. {@code label > 0} marks a positive (graded labels are kept for nDCG);
 * {@code teacherScore} carries a distillation score when the data has one.
 */
public record Candidate(String id, String text, double label, @Nullable Double teacherScore) {
    public boolean positive() {
        return label > 0;
    }
}
