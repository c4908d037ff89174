package dev.winnow.api.model;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How the recipe wants a model built: the task decides the head; {@code pooling} ({@code cls}, {@code mean},
 * {@code last}) and {@code normalize} apply to embeddings; {@code numLabels} to classification heads.
 * {@code extra} carries architecture-specific options from the recipe's {@code model.options} map.
 * {@code kernels} and {@code precision} (the recipe's {@code kernels} and {@code train.precision}) say which
 * kernel implementation the model computes with and in what precision; a model resolves them to its kernels
 * once, when it is built.
 */
public record ModelOptions(
        Task task, @Nullable String pooling, boolean normalize, int numLabels, Map<String, Object> extra,
        KernelMode kernels, Precision precision) {
    public ModelOptions {
        extra = Map.copyOf(extra);
    }

    /** Options with the default kernels ({@link KernelMode#AUTO}) in float32. */
    public ModelOptions(Task task, @Nullable String pooling, boolean normalize, int numLabels, Map<String, Object> extra) {
        this(task, pooling, normalize, numLabels, extra, KernelMode.AUTO, Precision.FP32);
    }

    /** The same options with other kernels and precision. */
    public ModelOptions withKernels(KernelMode mode, Precision compute) {
        return new ModelOptions(task, pooling, normalize, numLabels, extra, mode, compute);
    }
}
