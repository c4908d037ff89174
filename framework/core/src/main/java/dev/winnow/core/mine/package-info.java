/**
 * Hard-negative mining, as FlagEmbedding's {@code hn_mine.py} and sentence-transformers' {@code
 * mine_hard_negatives}: encode the queries and a corpus with an embedding model, retrieve each query's exact
 * top-k by chunked dot products ({@link dev.winnow.api.eval.TopK}), and sample negatives from a rank window
 * ({@link dev.winnow.core.mine.NegativeSampler}), leaving out known positives, the query itself and, with a
 * margin, likely false negatives. {@link dev.winnow.core.mine.HardNegativeMiner} runs it; {@code runner mine}
 * and a recipe's {@code data.mine} section ({@link dev.winnow.core.mine.RecipeMining}) call it.
 */
@NullMarked
package dev.winnow.core.mine;

import org.jspecify.annotations.NullMarked;
