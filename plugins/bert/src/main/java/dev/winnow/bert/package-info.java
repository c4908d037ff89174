/** BERT and XLM-RoBERTa encoders: config, weight-name table, model with cross-encoder and embedding heads. */
@NullMarked
package dev.winnow.bert;

import org.jspecify.annotations.NullMarked;
