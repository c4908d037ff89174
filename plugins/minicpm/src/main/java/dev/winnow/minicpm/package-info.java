/** The MiniCPM decoder (scale_emb, scale_depth residuals, SwiGLU, GQA) with FlagEmbedding's layerwise score heads. */
@NullMarked
package dev.winnow.minicpm;

import org.jspecify.annotations.NullMarked;
