/** Reranker losses over grouped scores: pointwise_bce and listwise_ce. */
@NullMarked
package dev.winnow.rankinglosses;

import org.jspecify.annotations.NullMarked;
