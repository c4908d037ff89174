/** Plugin discovery through ServiceLoader, component registrations and the run's Guice wiring. */
@NullMarked
package dev.winnow.core.registry;

import org.jspecify.annotations.NullMarked;
