/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.export;

import org.jspecify.annotations.NullMarked;
