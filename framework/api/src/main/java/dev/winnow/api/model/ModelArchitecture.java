package dev.winnow.api.model;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** An architecture a plugin provides: BERT, XLM-RoBERTa, Qwen3, ... */
public interface ModelArchitecture {
    /** The {@code model_type} values of {@code config.json} this architecture reads. */
    Set<String> modelTypes();

    /** The tasks it can serve. */
    Set<Task> tasks();

    /**
     * Builds the model from a Hugging Face layout directory.
     *
     * @param configJson the parsed {@code config.json}
     * @param weights name to tensor, already converted to float32 where needed; the architecture reports missing
     *     and unexpected names
     */
    WinnowModel create(
            Path directory,
            Map<String, Object> configJson,
            Map<String, ai.djl.ndarray.NDArray> weights,
            ModelOptions options,
            NDManager manager);
}
