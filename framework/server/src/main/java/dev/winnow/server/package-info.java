/** {@code runner serve}: rerank and embedding HTTP routes (TEI, Cohere/vLLM, OpenAI shapes) with dynamic batching. */
@NullMarked
package dev.winnow.server;

import org.jspecify.annotations.NullMarked;
