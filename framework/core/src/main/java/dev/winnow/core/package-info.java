/** The engine: recipes, registry, weights, text, data, training, evaluation, export and inference. */
@NullMarked
package dev.winnow.core;

import org.jspecify.annotations.NullMarked;
