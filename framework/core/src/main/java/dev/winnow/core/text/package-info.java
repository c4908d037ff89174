/** Tokenizers (DJL Hugging Face tokenizers honouring tokenizer_config.json), truncation counting and padded batches. */
@NullMarked
package dev.winnow.core.text;

import org.jspecify.annotations.NullMarked;
