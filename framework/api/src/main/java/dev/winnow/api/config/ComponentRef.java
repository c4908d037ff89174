package dev.winnow.api.config;

import dev.winnow.api.ComponentContext;

/**
 * A component bound from a recipe node, {@code {type: <id>, ...keys}} or just {@code <id>}, with its config already
 * validated. A config record may hold one to take a nested component, as {@code loss: {type: matryoshka, loss:
 * {type: infonce, ...}}} does: declare the record component as {@code ComponentRef<Loss>} and the binder binds it
 * like a top-level one, with the same positioned errors.
 *
 * @param <T> the kind of component (a loss, a format, ...)
 */
public interface ComponentRef<T> {
    /** The component's id, such as {@code infonce}. */
    String id();

    /** The concrete class the component's factory produces, to check what it is before building it. */
    Class<? extends T> produces();

    /** Where the node is in the recipe ({@code file:line:col}), for messages. */
    String location();

    /** Builds the component from its bound config. */
    T create(ComponentContext context);
}
