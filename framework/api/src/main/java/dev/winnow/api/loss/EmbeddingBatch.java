package dev.winnow.api.loss;

import ai.djl.ndarray.NDArray;
import org.jspecify.annotations.Nullable;

/**
 * What an {@link EmbeddingLoss} sees: one row per training example.
 *
 * @param queries {@code [batch, dim]} query embeddings (not normalised: a loss normalises if it uses cosine)
 * @param documents {@code [batch, docs, dim]}: for contrastive rows the positive first, then hard negatives; for
 *     labelled pairs {@code docs == 1}
 * @param documentMask {@code [batch, docs]} 1 for a real document, 0 for padding (rows carry different numbers of
 *     negatives, including none)
 * @param labels {@code [batch]} float labels of labelled pairs (cosine / contrastive losses), else null
 */
public record EmbeddingBatch(NDArray queries, NDArray documents, NDArray documentMask, @Nullable NDArray labels) {}
