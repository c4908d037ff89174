/** ModernBERT encoders: config, weight-name table, model with the sequence-classification head and embedding pooling. */
@NullMarked
package dev.winnow.modernbert;

import org.jspecify.annotations.NullMarked;
