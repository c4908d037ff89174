package dev.winnow.api.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.NoConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An architecture a plugin provides (BERT, Qwen3, ModernBERT, ...): it builds models and answers for itself what
 * the framework must know of it before or without building one. Nothing about an architecture lives in the
 * framework.
 */
public interface ModelArchitecture {
    /** The {@code model_type} values of {@code config.json} this architecture reads. */
    Set<String> modelTypes();

    /** The tasks it can serve. */
    Set<Task> tasks();

    /**
     * The template id a task uses when the recipe names none, and that {@code CrossEncoder} / {@code Embedder}
     * use: {@code pair} for a cross-encoder, {@code text} for a BERT embedder, {@code qwen3-reranker}, ...
     */
    String defaultTemplate(Task task);

    /**
     * The record that the recipe's {@code model.options} binds to, validated with positions like every other key;
     * {@link NoConfig} (the default) accepts no options.
     */
    default Class<? extends Record> optionsType() {
        return NoConfig.class;
    }

    /** The sizes the memory estimate needs, from a {@code config.json}; empty when they cannot be told. */
    default Optional<ModelShape> shape(Map<String, Object> configJson) {
        return Optional.empty();
    }

    /**
     * {@code config.json} contents of well-known Hub models of this architecture, by Hub id, so that a run can
     * estimate its memory (and refuse to start) before downloading gigabytes.
     */
    default Map<String, Map<String, Object>> knownConfigs() {
        return Map.of();
    }

    /**
     * Builds the model from a Hugging Face layout directory.
     *
     * @param configJson the parsed {@code config.json}
     * @param weights name to tensor, as the checkpoint stores them; the architecture binds them and reports
     *     missing and unexpected names
     */
    WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights, ModelOptions options,
            NDManager manager);
}
