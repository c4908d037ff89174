package dev.winnow.api.model;

/**
 * The vocabulary ids of a generative reranker's answer tokens: the score is {@code logit(positive) -
 * logit(negative)} at the last position (Qwen3-Reranker's "yes" and "no"). The runner resolves them from the
 * template's tokens with the model's tokenizer.
 */
public record AnswerTokenIds(long positive, long negative) {}
