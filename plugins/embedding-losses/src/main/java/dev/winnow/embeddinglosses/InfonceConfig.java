package dev.winnow.embeddinglosses;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import org.jspecify.annotations.Nullable;

/** Options of {@code loss: infonce}; the keys and defaults of ms-swift's {@code INFONCE_*} variables. */
@Doc("InfoNCE over cosine similarities of normalised embeddings (ms-swift's infonce loss).")
public record InfonceConfig(
        @Doc("Softmax temperature tau: logits are cosine / tau. ms-swift's code uses 0.1 since v3.10 (older docs"
                + " say 0.01); Winnow follows the code.")
                @Default("0.1")
                @Range(min = 0, minExclusive = true)
                double temperature,
        @Doc("In-batch negatives: every other row's positive and hard negatives join each row's denominator.")
                @Default("true")
                boolean useBatch,
        @Doc("Fix the hard negatives per row to N: keep the first N, or pad by seeded sampling with replacement"
                + " from the row's own negatives. Unset keeps every row's negatives as they are.")
                @Range(min = 0)
                @Nullable Integer hardNegatives,
        @Doc("Mask likely false negatives: candidates scoring above the positive's cosine plus"
                + " fake_negative_margin leave the denominator (query-document and query-query terms; also without"
                + " use_batch, where ms-swift ignores it).")
                @Default("false")
                boolean maskFakeNegative,
        @Doc("Margin of mask_fake_negative, in cosine units.")
                @Default("0.1")
                double fakeNegativeMargin,
        @Doc("Add query-query similarities (other queries) to the denominator, as Qwen3-Embedding does; needs"
                + " use_batch.")
                @Default("false")
                boolean includeQq,
        @Doc("Add positive-document similarities (to every other document in the batch) to the denominator, as"
                + " Qwen3-Embedding does; needs use_batch.")
                @Default("false")
                boolean includeDd) {

    /** The defaults, for code that builds the loss directly. */
    public static InfonceConfig defaults() {
        return new InfonceConfig(0.1, true, null, false, 0.1, false, false);
    }
}
