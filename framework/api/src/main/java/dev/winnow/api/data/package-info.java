/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.data;

import org.jspecify.annotations.NullMarked;
