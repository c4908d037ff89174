package dev.winnow.api.text;

/** Turns a (query, document) pair into token ids within {@code maxLength}. */
@FunctionalInterface
public interface PromptTemplate {
    Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength);
}
