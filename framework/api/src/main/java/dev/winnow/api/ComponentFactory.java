package dev.winnow.api;

/**
 * Builds a component from its bound, validated config record.
 *
 * @param <C> the config record type (use {@link NoConfig} when the component takes no options)
 * @param <T> what it builds
 */
@FunctionalInterface
public interface ComponentFactory<C extends Record, T> {
    T create(C config, ComponentContext context);
}
