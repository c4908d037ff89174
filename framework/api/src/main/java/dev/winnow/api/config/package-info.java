/** Part of the Winnow plugin API. */
@NullMarked
package dev.winnow.api.config;

import org.jspecify.annotations.NullMarked;
