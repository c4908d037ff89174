package dev.winnow.deberta;

import dev.winnow.api.config.Doc;
import org.jspecify.annotations.Nullable;

/**
 * The recipe's {@code model.options} for a DeBERTa model.
 *
 * @param head the reranker head; null takes the checkpoint's {@code pooling_method} (written by Winnow's export of a
 *     mean-pooling reranker), else {@link Head#CONTEXT_POOLER}
 */
public record DebertaOptions(
        @Doc("reranker head: context_pooler (DebertaV2ForSequenceClassification: dense + gelu on the [CLS] token, then "
                + "the classifier) or mean (open-retrievals' pooling_method=\"mean\": the mean of the last hidden states "
                + "over real tokens, then a linear classifier); default: the checkpoint's pooling_method, else "
                + "context_pooler") @Nullable Head head) {

    public static final DebertaOptions DEFAULTS = new DebertaOptions(null);

    /** How a reranker pools the encoder's output before its classifier. */
    public enum Head {
        /** transformers' ContextPooler: dense and gelu on the first ([CLS]) token. */
        CONTEXT_POOLER,
        /** open-retrievals' mean pooling over the attention mask. */
        MEAN;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
