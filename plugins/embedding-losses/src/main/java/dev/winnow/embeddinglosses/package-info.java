/**
 * Embedding losses for {@code task: embedding}: InfoNCE (ms-swift semantics), cosine similarity, contrastive and
 * online contrastive (sentence-transformers semantics), and a Matryoshka wrapper over any of them.
 */
@NullMarked
package dev.winnow.embeddinglosses;

import org.jspecify.annotations.NullMarked;
