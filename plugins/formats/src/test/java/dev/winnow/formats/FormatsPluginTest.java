package dev.winnow.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Module;
import dev.winnow.api.ComponentContext;
import dev.winnow.api.ComponentFactory;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.Registrar;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class FormatsPluginTest {
    private record Registered(Class<? extends Record> config, ComponentFactory<Record, ?> factory) {}

    @SuppressWarnings("unchecked")
    private static Map<String, Registered> register() {
        Map<String, Registered> out = new LinkedHashMap<>();
        new FormatsPlugin().register(new Registrar() {
            @Override
            public <C extends Record, T> void add(ComponentKind<T> kind, String id, Class<C> configType,
                    Class<? extends T> produces, ComponentFactory<C, ? extends T> factory) {
                assertEquals(ComponentKind.FORMAT, kind);
                assertTrue(DatasetFormat.class.isAssignableFrom(produces));
                out.put(id, new Registered(configType, (ComponentFactory<Record, ?>) factory));
            }

            @Override
            public void install(Module module) {
                throw new AssertionError("formats install no bindings");
            }
        });
        return out;
    }

    private static final ComponentContext CONTEXT = new ComponentContext() {
        @Override
        public <X> X instance(Class<X> type) {
            throw new AssertionError("formats need no services");
        }

        @Override
        public long seed() {
            return 1;
        }

        @Override
        public Path baseDirectory() {
            return Path.of(".");
        }
    };

    @Test
    void discoveredThroughServiceLoader() {
        assertTrue(ServiceLoader.load(WinnowPlugin.class).stream()
                .anyMatch(p -> p.type() == FormatsPlugin.class));
        assertEquals("formats", new FormatsPlugin().name());
    }

    @Test
    void registersEveryFormatWithDocumentedKeys() {
        Map<String, Registered> formats = register();
        assertEquals(List.of("mteb", "flagembedding", "swift", "swift_legacy", "pairs", "labelled_list", "fields"),
                List.copyOf(formats.keySet()));
        for (var entry : formats.entrySet()) {
            Class<? extends Record> config = entry.getValue().config();
            assertNotNull(config.getAnnotation(Doc.class), entry.getKey() + " config has no @Doc");
            for (RecordComponent c : config.getRecordComponents()) {
                assertNotNull(c.getAnnotation(Doc.class), entry.getKey() + "." + c.getName() + " has no @Doc");
                boolean nullable = c.getAnnotatedType().isAnnotationPresent(Nullable.class);
                assertTrue(nullable || c.getAnnotation(Default.class) != null,
                        entry.getKey() + "." + c.getName() + " is neither @Nullable nor @Default");
            }
        }
    }

    @Test
    void everyFormatBuildsFromItsDefaultsExceptFieldsWhichNeedsAMapping() throws Exception {
        for (var entry : register().entrySet()) {
            Record config = defaults(entry.getValue().config());
            if (entry.getKey().equals("fields")) {
                UserException e = assertThrows(UserException.class,
                        () -> entry.getValue().factory().create(config, CONTEXT));
                assertEquals("format fields: give positives (and negatives), or documents with labels", e.getMessage());
            } else {
                assertInstanceOf(DatasetFormat.class, entry.getValue().factory().create(config, CONTEXT));
            }
        }
    }

    /** A config record built from its {@code @Default} strings (nulls elsewhere), as a recipe with no keys gives. */
    static Record defaults(Class<? extends Record> type) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            Default d = components[i].getAnnotation(Default.class);
            if (d == null) {
                values[i] = null;
            } else if (types[i] == boolean.class) {
                values[i] = Boolean.parseBoolean(d.value());
            } else if (types[i] == double.class) {
                values[i] = Double.parseDouble(d.value());
            } else {
                values[i] = d.value();
            }
        }
        return type.getDeclaredConstructor(types).newInstance(values);
    }
}
