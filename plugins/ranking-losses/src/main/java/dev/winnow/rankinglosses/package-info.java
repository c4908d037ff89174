/**
 * Reranker losses over grouped scores: pointwise_bce, listwise_ce, lambda_loss, ranknet, listnet, listmle,
 * plistmle, mnrl, cached_mnrl, mse, margin_mse, distill_ce.
 */
@NullMarked
package dev.winnow.rankinglosses;

import org.jspecify.annotations.NullMarked;
