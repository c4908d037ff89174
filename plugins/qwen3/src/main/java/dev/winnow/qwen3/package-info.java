/** The Qwen3 decoder (RMSNorm, q/k norms, rotary, grouped-query attention, SwiGLU) as a generative reranker and an embedding model. */
@NullMarked
package dev.winnow.qwen3;

import org.jspecify.annotations.NullMarked;
