package dev.winnow.core.registry;

import dev.winnow.api.ComponentFactory;
import dev.winnow.api.ComponentKind;

/**
 * One registered component: its kind, short id, config record, the class it produces, its factory, and where it
 * came from (plugin name and jar), for {@code runner plugins} and duplicate-id errors.
 */
public record Registration<C extends Record, T>(
        ComponentKind<T> kind,
        String id,
        Class<C> configType,
        Class<? extends T> produces,
        ComponentFactory<C, ? extends T> factory,
        String pluginName,
        String source) {}
