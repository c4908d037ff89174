package dev.winnow.templates;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.text.TextTokenizer;
import dev.winnow.api.text.Truncation;

/** The cross-encoder input: query and document as a tokenizer pair, with the model's own special tokens. */
public record PairTemplate(Truncation truncation) implements PromptTemplate {
    /** Recipe keys of {@code template: {type: pair}}. */
    @Doc("query and document as a tokenizer pair ([CLS] query [SEP] document [SEP] for BERT)")
    public record Config(
            @Doc("only_second cuts the document; longest_first cuts the longer of the two (sentence-transformers)")
                    @Default("only_second") Truncation truncation) {}

    @Override
    public Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength) {
        return tokenizer.encodePair(input.query(), input.document(), maxLength, truncation);
    }
}
