package dev.winnow.embeddinglosses;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import org.jspecify.annotations.Nullable;

/** Options of {@code loss: cached_infonce}: infonce's keys plus the GradCache chunk size. */
@Doc("InfoNCE with gradient caching (GradCache): the same loss and gradients as infonce, with activation memory"
        + " bounded by mini_batch_size texts, so train.batch_size (and the in-batch negatives) can grow past memory.")
public record CachedInfonceConfig(
        @Doc("Texts encoded together in each GradCache chunk; activation memory is bounded by one chunk.")
                @Default("32")
                @Range(min = 1)
                int miniBatchSize,
        @Doc("As infonce: softmax temperature tau.") @Default("0.1") @Range(min = 0, minExclusive = true) double temperature,
        @Doc("As infonce: in-batch negatives.") @Default("true") boolean useBatch,
        @Doc("As infonce: fix the hard negatives per row to N.") @Range(min = 0) @Nullable Integer hardNegatives,
        @Doc("As infonce: mask likely false negatives.") @Default("false") boolean maskFakeNegative,
        @Doc("As infonce: margin of mask_fake_negative.") @Default("0.1") double fakeNegativeMargin,
        @Doc("As infonce: query-query terms in the denominator.") @Default("false") boolean includeQq,
        @Doc("As infonce: positive-document terms in the denominator.") @Default("false") boolean includeDd) {

    public InfonceConfig infonce() {
        return new InfonceConfig(temperature, useBatch, hardNegatives, maskFakeNegative, fakeNegativeMargin, includeQq, includeDd);
    }
}
