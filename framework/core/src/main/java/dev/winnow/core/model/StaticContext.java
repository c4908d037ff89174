package dev.winnow.core.model;

import dev.winnow.api.ComponentContext;
import dev.winnow.api.WinnowException;
import java.nio.file.Path;

/** The context for architecture factories, which take no configuration and inject nothing. */
enum StaticContext implements ComponentContext {
    INSTANCE;

    @Override
    public <X> X instance(Class<X> type) {
        throw new WinnowException("model architectures are created without an injector; asked for " + type.getName());
    }

    @Override
    public long seed() {
        return 0;
    }

    @Override
    public Path baseDirectory() {
        return Path.of(".");
    }
}
