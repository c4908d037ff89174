/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.model;

import org.jspecify.annotations.NullMarked;
