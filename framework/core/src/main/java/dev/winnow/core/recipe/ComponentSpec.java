package dev.winnow.core.recipe;

import dev.winnow.api.ComponentContext;
import dev.winnow.api.ComponentFactory;
import dev.winnow.api.config.ComponentRef;
import dev.winnow.core.registry.Registration;

/**
 * A bound polymorphic node, {@code {type: <id>, ...}}: the component's registration and its config record.
 *
 * @param <T> what the component is (a loss, a format, ...)
 */
public record ComponentSpec<T>(Registration<?, T> registration, Record config, Position position) implements ComponentRef<T> {
    @Override
    public String id() {
        return registration.id();
    }

    @Override
    public Class<? extends T> produces() {
        return registration.produces();
    }

    @Override
    public String location() {
        return position.toString();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T create(ComponentContext context) {
        ComponentFactory<Record, ? extends T> factory = (ComponentFactory<Record, ? extends T>) registration.factory();
        return factory.create(config, context);
    }
}
