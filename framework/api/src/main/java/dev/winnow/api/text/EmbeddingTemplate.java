package dev.winnow.api.text;

import dev.winnow.api.WinnowException;
import org.jspecify.annotations.Nullable;

/**
 * How a bi-encoder ({@code task: embedding}) turns single texts into tokens: a query, with its row's instruction
 * when it has one, and a document. Both sides are encoded separately and never cut the model's closing special
 * token (BERT's {@code [SEP]}, Qwen3-Embedding's {@code <|endoftext|>}, which last-token pooling reads).
 *
 * <p>An embedding template registers under the recipe's {@code template:} key like a reranker's, through
 * {@link dev.winnow.api.Registrar#embeddingTemplate}; it renders no (query, document) pairs.
 */
public interface EmbeddingTemplate extends PromptTemplate {
    /** A query, with {@code instruction} (the row's) taking the place of the template's own when not null. */
    Encoded query(String query, @Nullable String instruction, TextTokenizer tokenizer, int maxLength);

    Encoded document(String document, TextTokenizer tokenizer, int maxLength);

    /**
     * The literal text put before a query that has no instruction of its own ("" for none): what
     * sentence-transformers stores as {@code prompts.query}.
     */
    String queryPrompt();

    /** The literal text put before every document ("" for none): sentence-transformers' {@code prompts.document}. */
    default String documentPrompt() {
        return "";
    }

    /**
     * A token this template appends to every text when the tokenizer does not add it itself (Qwen3-Embedding's
     * {@code <|endoftext|>}); null for none. An export writes it into the tokenizer's post-processor, as the official
     * Qwen3-Embedding tokenizer has it, so that the exported model encodes the same way everywhere.
     */
    default @Nullable String closingToken() {
        return null;
    }

    /** Embedding templates render single texts; a reranker task never reaches this (the recipe check refuses it). */
    @Override
    default Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength) {
        throw new WinnowException("an embedding template renders single texts, not (query, document) pairs; "
                + "rerankers use a pair template such as pair or qwen3-reranker");
    }
}
