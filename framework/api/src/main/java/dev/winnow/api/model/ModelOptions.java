package dev.winnow.api.model;

import dev.winnow.api.NoConfig;
import org.jspecify.annotations.Nullable;

/**
 * How a model is to be built. Start from {@link #of(Task)} and change what differs:
 *
 * <pre>{@code
 * ModelOptions options = ModelOptions.of(Task.EMBEDDING).withPooling("cls").withSeed(7);
 * }</pre>
 *
 * @param task decides the head
 * @param pooling embeddings: {@code cls}, {@code mean} or {@code last}; null for the architecture's default
 * @param normalize embeddings: L2-normalise the pooled vector
 * @param numLabels outputs of a classification head
 * @param seed initialises what the checkpoint lacks (a fresh head) reproducibly
 * @param answerTokens a generative reranker's answer-token ids; null for other tasks
 * @param architectureOptions the recipe's {@code model.options}, bound to the record type the architecture declares
 *     ({@link ModelArchitecture#optionsType()}); {@link NoConfig} when it declares none
 * @param kernels which kernel implementation the model computes with (the recipe's {@code kernels})
 * @param precision the compute precision inside the kernels (the recipe's {@code train.precision})
 */
public record ModelOptions(
        Task task,
        @Nullable String pooling,
        boolean normalize,
        int numLabels,
        long seed,
        @Nullable AnswerTokenIds answerTokens,
        Record architectureOptions,
        KernelMode kernels,
        Precision precision) {

    /** Defaults for {@code task}: the architecture's pooling, normalised embeddings, one label, seed 42, automatic fp32 kernels. */
    public static ModelOptions of(Task task) {
        return new ModelOptions(task, null, true, 1, 42L, null, new NoConfig(), KernelMode.AUTO, Precision.FP32);
    }

    public ModelOptions withPooling(@Nullable String pooling) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    public ModelOptions withNormalize(boolean normalize) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    public ModelOptions withNumLabels(int numLabels) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    public ModelOptions withSeed(long seed) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    public ModelOptions withAnswerTokens(@Nullable AnswerTokenIds answerTokens) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    public ModelOptions withArchitectureOptions(Record architectureOptions) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, kernels, precision);
    }

    /** The same options with other kernels and precision. */
    public ModelOptions withKernels(KernelMode mode, Precision compute) {
        return new ModelOptions(task, pooling, normalize, numLabels, seed, answerTokens, architectureOptions, mode, compute);
    }

    /**
     * The architecture's own options as its record type; {@code defaults} when none were bound (options built in
     * code with {@link #of}).
     *
     * @throws IllegalArgumentException when options of another architecture were bound
     */
    public <R extends Record> R architectureOptions(Class<R> type, R defaults) {
        if (type.isInstance(architectureOptions)) {
            return type.cast(architectureOptions);
        }
        if (architectureOptions instanceof NoConfig) {
            return defaults;
        }
        throw new IllegalArgumentException("model options are " + architectureOptions.getClass().getName() + ", not " + type.getName());
    }

    /** The answer-token ids, required by a generative reranker. */
    public AnswerTokenIds requireAnswerTokens() {
        if (answerTokens == null) {
            throw new IllegalStateException("a " + task.id() + " needs the answer-token ids (ModelOptions.withAnswerTokens)");
        }
        return answerTokens;
    }
}
