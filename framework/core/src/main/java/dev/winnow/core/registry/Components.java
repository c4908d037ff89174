package dev.winnow.core.registry;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import dev.winnow.api.ComponentContext;
import dev.winnow.api.config.ComponentRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates components from bound specs inside one Guice injector built from the run's core services and every
 * plugin's module. Factories receive a {@link ComponentContext} backed by that injector.
 */
public final class Components {
    private final Injector injector;
    private final long seed;
    private final Path baseDirectory;

    public Components(ComponentRegistry registry, long seed, Path baseDirectory, Module... coreModules) {
        List<Module> all = new ArrayList<>(List.of(coreModules));
        all.add(new AbstractModule() {
            @Override
            protected void configure() {
                bind(ComponentRegistry.class).toInstance(registry);
            }
        });
        all.addAll(registry.modules());
        this.injector = Guice.createInjector(all);
        this.seed = seed;
        this.baseDirectory = baseDirectory;
    }

    /** Builds the component a bound recipe node names, with its config. */
    public <T> T create(ComponentRef<T> ref) {
        return ref.create(context());
    }

    /** The context handed to factories. */
    public ComponentContext context() {
        return new ComponentContext() {
            @Override
            public <X> X instance(Class<X> type) {
                return injector.getInstance(type);
            }

            @Override
            public long seed() {
                return seed;
            }

            @Override
            public Path baseDirectory() {
                return baseDirectory;
            }
        };
    }

    public Injector injector() {
        return injector;
    }
}
