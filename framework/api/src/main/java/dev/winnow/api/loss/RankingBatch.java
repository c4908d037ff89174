package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link RankingLoss} sees: one micro-batch of reranker scores laid out as groups, row {@code g} holding the
 * scores of one query's candidates. Every array is {@code [groups, width]} float32.
 *
 * @param scores the model's raw scores (logits)
 * @param labels each candidate's label as the data gives it: 1 / 0 for binary data, the graded value (2, 3, ...)
 *     for graded data; never clamped, so listwise losses can use grades
 * @param mask 1 for a real entry, 0 for padding in a short group; padded entries must not contribute
 * @param teacherScores a teacher's score for each entry (FlagEmbedding's {@code pos_scores}/{@code neg_scores}),
 *     or null when the data carries none; padded entries hold 0
 */
public record RankingBatch(NDArray scores, NDArray labels, NDArray mask, @Nullable NDArray teacherScores) {}
