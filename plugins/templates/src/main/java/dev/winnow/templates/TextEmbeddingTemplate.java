package dev.winnow.templates;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TextTokenizer;
import org.jspecify.annotations.Nullable;

/**
 * The bi-encoder input of sentence-transformers: each text on its own with the model's special tokens, queries
 * after an optional prompt (BGE's "Represent this sentence for searching relevant passages: "). A row's own
 * instruction replaces the prompt, combined with the query by {@code instruction_format}.
 */
public final class TextEmbeddingTemplate implements EmbeddingTemplate {
    /** Recipe keys of {@code template: {type: text}}. */
    @Doc("single texts for embedding models: [CLS] text [SEP] for BERT, queries after an optional prompt")
    public record Config(
            @Doc("literal text put before every query that has no instruction of its own") @Default("''") String queryPrompt,
            @Doc("literal text put before every document") @Default("''") String documentPrompt,
            @Doc("how a row's instruction and its query combine; must contain {instruction} and {query}")
                    @Default("'{instruction}{query}'") String instructionFormat) {}

    private final Config config;

    public TextEmbeddingTemplate(Config config) {
        if (!config.instructionFormat().contains("{instruction}") || !config.instructionFormat().contains("{query}")) {
            throw new UserException("template text: instruction_format '" + config.instructionFormat()
                    + "' must contain both {instruction} and {query}");
        }
        this.config = config;
    }

    @Override
    public Encoded query(String query, @Nullable String instruction, TextTokenizer tokenizer, int maxLength) {
        String text = instruction == null || instruction.isEmpty()
                ? config.queryPrompt() + query
                : config.instructionFormat().replace("{instruction}", instruction).replace("{query}", query);
        return tokenizer.encodeSingle(text, -1, maxLength);
    }

    @Override
    public Encoded document(String document, TextTokenizer tokenizer, int maxLength) {
        return tokenizer.encodeSingle(config.documentPrompt() + document, -1, maxLength);
    }

    @Override
    public String queryPrompt() {
        return config.queryPrompt();
    }

    @Override
    public String documentPrompt() {
        return config.documentPrompt();
    }
}
