/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.text;

import org.jspecify.annotations.NullMarked;
