/**
 * The composed tensor operations that models share (linear, norms, activations, attention, embedding lookup,
 * pooling): the one seam where a faster kernel can replace a composition.
 */
@NullMarked
package dev.winnow.nn;

import org.jspecify.annotations.NullMarked;
