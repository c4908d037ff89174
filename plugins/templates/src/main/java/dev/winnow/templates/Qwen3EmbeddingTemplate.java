package dev.winnow.templates;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TextTokenizer;
import org.jspecify.annotations.Nullable;

/**
 * Qwen3-Embedding's input: queries as {@code Instruct: {task}\nQuery:{query}} (no space after the colon, as the
 * official code), documents as they are, and both closed by {@code <|endoftext|>} (id 151643), which the official
 * tokenizer's post-processor appends and last-token pooling reads. The row's instruction replaces the recipe's.
 */
public final class Qwen3EmbeddingTemplate implements EmbeddingTemplate {
    static final String DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query";

    /** Recipe keys of {@code template: {type: qwen3-embedding}}. */
    @Doc("Qwen3-Embedding: Instruct: {instruction}\\nQuery:{query} for queries, <|endoftext|> closing every text")
    public record Config(
            @Doc("the task description for queries whose row has no instruction of its own")
                    @Default(DEFAULT_INSTRUCTION) String instruction,
            @Doc("the closing token appended to every text, which last-token pooling reads") @Default("<|endoftext|>")
                    String closingToken) {}

    private final Config config;

    public Qwen3EmbeddingTemplate(Config config) {
        this.config = config;
    }

    @Override
    public Encoded query(String query, @Nullable String instruction, TextTokenizer tokenizer, int maxLength) {
        String task = instruction == null || instruction.isEmpty() ? config.instruction() : instruction;
        return tokenizer.encodeSingle(prompt(task) + query, closing(tokenizer), maxLength);
    }

    @Override
    public Encoded document(String document, TextTokenizer tokenizer, int maxLength) {
        return tokenizer.encodeSingle(document, closing(tokenizer), maxLength);
    }

    @Override
    public String queryPrompt() {
        return prompt(config.instruction());
    }

    @Override
    public String closingToken() {
        return config.closingToken();
    }

    static String prompt(String task) {
        return "Instruct: " + task + "\nQuery:";
    }

    private long closing(TextTokenizer tokenizer) {
        return tokenizer.tokenId(config.closingToken()).orElseThrow(() -> new UserException("template qwen3-embedding: the "
                + "tokenizer has no single token '" + config.closingToken() + "' (template.closing_token); is this a Qwen3 tokenizer?"));
    }
}
