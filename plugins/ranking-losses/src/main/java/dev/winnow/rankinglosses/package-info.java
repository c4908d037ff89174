/** Reranker losses over grouped scores: pointwise_bce, listwise_ce, ranknet, listnet, mse, margin_mse. */
@NullMarked
package dev.winnow.rankinglosses;

import org.jspecify.annotations.NullMarked;
