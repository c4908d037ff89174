package dev.winnow.api.text;

/**
 * Implemented by templates of generative rerankers: the tokens whose logits at the last position score a pair,
 * {@code logit(positive) - logit(negative)}. The framework hands their ids to the model's head.
 */
public interface AnswerTokens {
    String positiveToken();

    String negativeToken();
}
