package dev.winnow.embeddinglosses;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;

/** Options of {@code loss: contrastive} and {@code loss: online_contrastive}. */
@Doc("Contrastive loss over cosine distance (sentence-transformers' ContrastiveLoss / OnlineContrastiveLoss).")
public record ContrastiveConfig(
        @Doc("Negative pairs closer than this cosine distance (1 - cosine) are pushed apart.")
                @Default("0.5")
                @Range(min = 0)
                double margin) {

    public static ContrastiveConfig defaults() {
        return new ContrastiveConfig(0.5);
    }
}
