package dev.winnow.core.recipe;

import dev.winnow.core.registry.Registration;

/**
 * A bound polymorphic node, {@code {type: <id>, ...}}: the component's registration and its config record.
 *
 * @param <T> what the component is (a loss, a format, ...)
 */
public record ComponentSpec<T>(Registration<?, T> registration, Record config, Position position) {
    public String id() {
        return registration.id();
    }
}
