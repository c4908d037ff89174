/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.eval;

import org.jspecify.annotations.NullMarked;
