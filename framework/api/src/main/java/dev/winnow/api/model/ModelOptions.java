package dev.winnow.api.model;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How the recipe wants a model built: the task decides the head; {@code pooling} ({@code cls}, {@code mean},
 * {@code last}) and {@code normalize} apply to embeddings; {@code numLabels} to classification heads.
 * {@code extra} carries architecture-specific options from the recipe's {@code model.options} map.
 */
public record ModelOptions(
        Task task, @Nullable String pooling, boolean normalize, int numLabels, Map<String, Object> extra) {
    public ModelOptions {
        extra = Map.copyOf(extra);
    }
}
