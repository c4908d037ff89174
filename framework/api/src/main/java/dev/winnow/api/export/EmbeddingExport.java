package dev.winnow.api.export;

import org.jspecify.annotations.Nullable;

/**
 * What an embedding model's export needs beyond its weights so that sentence-transformers rebuilds the same
 * pipeline: the pooling, whether vectors are normalised, the prompts and the maximum sequence length.
 *
 * @param pooling cls, mean or last
 * @param queryPrompt the literal text put before queries ("" for none)
 * @param documentPrompt the literal text put before documents ("" for none)
 * @param closingToken a token every text must end with, which the tokenizer's post-processor is to append; null for none
 */
public record EmbeddingExport(String pooling, boolean normalize, String queryPrompt, String documentPrompt, int maxLength,
        @Nullable String closingToken) {}
