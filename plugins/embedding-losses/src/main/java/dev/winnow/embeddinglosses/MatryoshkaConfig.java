package dev.winnow.embeddinglosses;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.config.ComponentRef;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Options of {@code loss: matryoshka}. The inner loss is an ordinary loss node, bound and validated by the recipe
 * binder like the top-level one:
 *
 * <pre>{@code
 * loss:
 *   type: matryoshka
 *   dims: [64, 128, 768]
 *   weights: [1, 1, 2]
 *   loss: {type: infonce, temperature: 0.05, include_qq: true}   # or just: loss: contrastive
 * }</pre>
 */
@Doc("Matryoshka representation learning: the weighted sum of an inner embedding loss over truncated,"
        + " re-normalised embeddings (sentence-transformers' MatryoshkaLoss, ms-swift's --mrl_dims).")
public record MatryoshkaConfig(
        @Doc("Leading dimensions to train, e.g. [64, 128, 768]; a dimension above the model's embedding size is"
                + " skipped with a warning.")
                @Range(min = 1)
                List<Integer> dims,
        @Doc("One weight per entry of dims; unset weighs every dimension 1.")
                @Nullable List<Double> weights,
        @Doc("The inner embedding loss: an id (infonce, cosine_similarity, contrastive, online_contrastive) or a"
                + " mapping {type: id, ...its options}.")
                @Default("infonce")
                ComponentRef<Loss> loss) {}
