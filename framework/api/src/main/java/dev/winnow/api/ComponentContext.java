package dev.winnow.api;

import java.nio.file.Path;

/** What a factory may ask of the running framework. */
public interface ComponentContext {
    /** An instance from the run's Guice injector (core services or a plugin's own bindings). */
    <X> X instance(Class<X> type);

    /** The run's seed, for components that sample. */
    long seed();

    /** The directory of the recipe file, against which relative paths in config records resolve. */
    Path baseDirectory();
}
