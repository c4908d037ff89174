/** Finding, reading and building models: source resolution, config.json, architecture lookup, weights. */
@NullMarked
package dev.winnow.core.model;

import org.jspecify.annotations.NullMarked;
