/** Exports a trained model as a Hugging Face layout directory that transformers and sentence-transformers load. */
@NullMarked
package dev.winnow.hfexport;

import org.jspecify.annotations.NullMarked;
