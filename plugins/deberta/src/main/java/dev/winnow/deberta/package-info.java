/** DeBERTa-v2/v3 cross-encoders: config, weight-name table, disentangled-attention encoder, ContextPooler and mean heads. */
@NullMarked
package dev.winnow.deberta;

import org.jspecify.annotations.NullMarked;
