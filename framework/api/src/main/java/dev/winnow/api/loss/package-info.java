/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.loss;

import org.jspecify.annotations.NullMarked;
