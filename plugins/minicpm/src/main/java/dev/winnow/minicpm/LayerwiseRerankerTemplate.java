package dev.winnow.minicpm;

import dev.winnow.api.config.Doc;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.text.TextTokenizer;
import dev.winnow.gemma.FlagLlmRerankerTemplate;
import org.jspecify.annotations.Nullable;

/**
 * FlagEmbedding's layerwise reranker input (LayerWiseLLMReranker, bge-reranker-v2-minicpm-layerwise): the same
 * {@code <bos>A: {query}\nB: {passage}\n{prompt}} as its other decoder-only rerankers, each piece encoded on its own,
 * the query and passage cut to their budgets and the prompt never cut ({@link FlagLlmRerankerTemplate} renders it).
 * The score comes from the model's layerwise heads, not from answer tokens, so this template names none.
 */
public final class LayerwiseRerankerTemplate implements PromptTemplate {
    /** Recipe keys of {@code template: {type: flag-layerwise-reranker}}. */
    @Doc("FlagEmbedding's layerwise reranker input: <bos>A: {query}\\nB: {passage}\\n{prompt}; the prompt is never cut")
    public record Config(
            @Doc("the instruction after the pair (default: FlagEmbedding's Yes/No prompt); a row's instruction wins")
                    @Nullable String prompt,
            @Doc("tokens of 'A: {query}' kept (FlagEmbedding's query_max_len; default: 3/4 of model.max_length)")
                    @Nullable Integer queryMaxLength,
            @Doc("tokens of 'B: {passage}' kept (FlagEmbedding's passage_max_len; default: what model.max_length leaves)")
                    @Nullable Integer passageMaxLength) {}

    private final FlagLlmRerankerTemplate rendering;

    public LayerwiseRerankerTemplate(Config config) {
        this.rendering = new FlagLlmRerankerTemplate(new FlagLlmRerankerTemplate.Config(
                config.prompt(), config.queryMaxLength(), config.passageMaxLength(), "Yes", "No"));
    }

    /** The whole input as text, after the leading special tokens. */
    public String text(TemplateInput input) {
        return rendering.text(input);
    }

    @Override
    public Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength) {
        return rendering.render(input, tokenizer, maxLength);
    }
}
