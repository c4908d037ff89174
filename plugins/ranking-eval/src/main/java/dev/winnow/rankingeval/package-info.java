/** The reranking evaluator: MRR@k, nDCG@k, MAP, Recall@k and ms-swift's full-list nDCG and accuracy. */
@NullMarked
package dev.winnow.rankingeval;

import org.jspecify.annotations.NullMarked;
