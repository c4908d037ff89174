package dev.winnow.api.model;

import java.util.Map;

/**
 * A loaded model: tensors in, tensors out. Tokenising and templating stay outside.
 *
 * <p>{@link #forward} returns {@code [batch]} scores (one logit per input; for {@code num_labels > 1} the
 * logits {@code [batch, numLabels]}) for rerankers, and {@code [batch, dim]} embeddings for embedding models.
 */
public interface WinnowModel extends AutoCloseable {
    /** The architecture id, such as {@code bert}. */
    String architecture();

    Task task();

    ParameterSet parameters();

    /** For {@code task: embedding}: the pooling in use (cls, mean or last); null for other tasks. */
    default @org.jspecify.annotations.Nullable String pooling() {
        return null;
    }

    ai.djl.ndarray.NDArray forward(TokenBatch batch, boolean training);

    /** The {@code config.json} an export writes, with {@code architectures} set for this task's head. */
    Map<String, Object> exportConfig();

    /** Multiply-add FLOPs (counted as 2 per multiply-add) of one forward over {@code batch x length} tokens. */
    double forwardFlops(long batch, long length);

    @Override
    void close();
}
