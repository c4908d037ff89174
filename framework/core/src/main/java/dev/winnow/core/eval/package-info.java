/** Ranking metrics with trec_eval semantics, trec file readers, and before/after metric tables. */
@NullMarked
package dev.winnow.core.eval;

import org.jspecify.annotations.NullMarked;
