/**
 * Built-in dataset formats: the MTEB/ms-swift reranker rows, FlagEmbedding's rows with teacher scores, ms-swift's
 * message rows (current and legacy), labelled pairs, labelled lists, and {@code fields}, a mapping declared in the
 * recipe so that data of another shape trains without a conversion script.
 */
@NullMarked
package dev.winnow.formats;

import org.jspecify.annotations.NullMarked;
