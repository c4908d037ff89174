package dev.winnow.core.registry;

import com.google.inject.Module;
import dev.winnow.api.ComponentFactory;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.Registrar;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Every component the plugins on the classpath contribute, by kind and id. Built-in components arrive through
 * the same {@link ServiceLoader} lookup as third-party ones. Two registrations of one id in one kind stop start-up
 * with an error naming both plugins and their jars.
 */
public final class ComponentRegistry {
    private final Map<ComponentKind<?>, Map<String, Registration<?, ?>>> byKind = new LinkedHashMap<>();
    private final List<Module> modules = new ArrayList<>();
    private final List<WinnowPlugin> plugins = new ArrayList<>();

    private ComponentRegistry() {
        for (ComponentKind<?> kind : ComponentKind.all()) {
            byKind.put(kind, new LinkedHashMap<>());
        }
    }

    /** Discovers every {@link WinnowPlugin} visible to {@code loader}. */
    public static ComponentRegistry discover(ClassLoader loader) {
        ComponentRegistry registry = new ComponentRegistry();
        try {
            for (WinnowPlugin plugin : ServiceLoader.load(WinnowPlugin.class, loader)) {
                registry.register(plugin);
            }
        } catch (ServiceConfigurationError e) {
            throw new UserException("a plugin's META-INF/services/dev.winnow.api.WinnowPlugin entry is broken: "
                    + e.getMessage());
        }
        return registry;
    }

    /** Discovers the plugins on the class path of this class's loader. */
    public static ComponentRegistry discover() {
        return discover(ComponentRegistry.class.getClassLoader());
    }

    /** A registry of exactly these plugins (tests, embedding). */
    public static ComponentRegistry of(WinnowPlugin... plugins) {
        ComponentRegistry registry = new ComponentRegistry();
        for (WinnowPlugin plugin : plugins) {
            registry.register(plugin);
        }
        return registry;
    }

    private void register(WinnowPlugin plugin) {
        plugins.add(plugin);
        String source = sourceOf(plugin.getClass());
        plugin.register(new Registrar() {
            @Override
            public <C extends Record, T> void add(
                    ComponentKind<T> kind,
                    String id,
                    Class<C> configType,
                    Class<? extends T> produces,
                    ComponentFactory<C, ? extends T> factory) {
                Map<String, Registration<?, ?>> ids = byKind.computeIfAbsent(kind, k -> new LinkedHashMap<>());
                Registration<?, ?> existing = ids.get(id);
                if (existing != null) {
                    throw new UserException("two plugins register the " + kind.section() + " '" + id + "': "
                            + existing.pluginName() + " (" + existing.source() + ") and " + plugin.name() + " ("
                            + source + "); remove one of the jars from the class path");
                }
                ids.put(id, new Registration<>(kind, id, configType, produces, factory, plugin.name(), source));
            }

            @Override
            public void install(Module module) {
                modules.add(module);
            }
        });
    }

    /** The registration of {@code id} in {@code kind}. */
    @SuppressWarnings("unchecked")
    public <T> Optional<Registration<?, T>> find(ComponentKind<T> kind, String id) {
        return Optional.ofNullable((Registration<?, T>) byKind.getOrDefault(kind, Map.of()).get(id));
    }

    /** Every registration of {@code kind}, sorted by id. */
    @SuppressWarnings("unchecked")
    public <T> List<Registration<?, T>> all(ComponentKind<T> kind) {
        List<Registration<?, T>> out = new ArrayList<>();
        for (Registration<?, ?> r : byKind.getOrDefault(kind, Map.of()).values()) {
            out.add((Registration<?, T>) r);
        }
        out.sort(Comparator.comparing(Registration::id));
        return out;
    }

    /** The ids of {@code kind}, sorted. */
    public List<String> ids(ComponentKind<?> kind) {
        return all(kind).stream().map(Registration::id).toList();
    }

    /** Guice modules that plugins installed. */
    public List<Module> modules() {
        return List.copyOf(modules);
    }

    public List<WinnowPlugin> plugins() {
        return List.copyOf(plugins);
    }

    static String sourceOf(Class<?> type) {
        try {
            CodeSource cs = type.getProtectionDomain().getCodeSource();
            if (cs != null && cs.getLocation() != null) {
                return cs.getLocation().getPath();
            }
        } catch (SecurityException e) {
            // fall through
        }
        return "unknown location of " + type.getName();
    }
}
