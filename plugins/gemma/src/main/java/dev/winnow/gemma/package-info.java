/** The Gemma 1 decoder ((1 + w) RMSNorm, sqrt(hidden) embeddings, tanh GeGLU, MQA/GQA) as FlagEmbedding's LLM reranker. */
@NullMarked
package dev.winnow.gemma;

import org.jspecify.annotations.NullMarked;
