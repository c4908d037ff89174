package dev.winnow.api.model;

import ai.djl.ndarray.NDArray;
import org.jspecify.annotations.Nullable;

/**
 * A padded batch of token ids, {@code [batch, length]} int64, with its attention mask (1 real, 0 padding) and
 * optional token type ids. Padding may be on either side; models must read positions from the mask.
 */
public record TokenBatch(NDArray inputIds, NDArray attentionMask, @Nullable NDArray tokenTypeIds) {}
