/**
 * Teacher scores for distillation, as FlagEmbedding's {@code pos_scores}/{@code neg_scores}: every (query,
 * candidate) of the training data is scored by a teacher, a reranker (its raw logit) or an embedding model (the
 * cosine of the query, with its prompt, and the document). {@link dev.winnow.core.annotate.Annotator} writes the
 * rows resume-safely and atomically; {@code runner annotate} and a recipe's {@code data.teacher} section
 * ({@link dev.winnow.core.annotate.RecipeTeacher}) call it. Mined data annotates like any other.
 */
@NullMarked
package dev.winnow.core.annotate;

import org.jspecify.annotations.NullMarked;
