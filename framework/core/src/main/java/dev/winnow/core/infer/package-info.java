/** Inference from Java and Kotlin: {@link dev.winnow.core.infer.CrossEncoder} and {@link dev.winnow.core.infer.Embedder}. */
@NullMarked
package dev.winnow.core.infer;

import org.jspecify.annotations.NullMarked;
