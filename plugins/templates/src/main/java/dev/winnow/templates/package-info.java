/** Prompt templates: pair (cross-encoders) and qwen3-reranker (the official Qwen3-Reranker prompt). */
@NullMarked
package dev.winnow.templates;

import org.jspecify.annotations.NullMarked;
