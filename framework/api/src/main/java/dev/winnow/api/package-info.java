/**
 * What plugin authors compile against: the {@link dev.winnow.api.WinnowPlugin} entry point discovered through
 * {@link java.util.ServiceLoader}, the component kinds it contributes, and the contracts of those components.
 */
@NullMarked
package dev.winnow.api;

import org.jspecify.annotations.NullMarked;
