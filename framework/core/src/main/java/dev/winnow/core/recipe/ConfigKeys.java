package dev.winnow.core.recipe;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Key;
import dev.winnow.api.config.Range;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The recipe keys of a config record: one per record component, named in snake_case unless {@code @Key} says
 * otherwise, with its documentation, default, range and whether it may be absent. Annotations are read from the
 * record component (Java) or from the canonical constructor's parameter (Kotlin {@code @JvmRecord}).
 */
public record ConfigKeys(Class<? extends Record> type, List<KeySpec> keys) {

    /** One recipe key. */
    public record KeySpec(
            String key,
            RecordComponent component,
            Type genericType,
            @Nullable String doc,
            @Nullable String defaultValue,
            @Nullable Range range,
            boolean nullable) {

        /** Whether the recipe must give this key. */
        public boolean required() {
            return defaultValue == null && !nullable;
        }
    }

    public static ConfigKeys of(Class<? extends Record> type) {
        RecordComponent[] components = type.getRecordComponents();
        Constructor<?> canonical = canonical(type);
        List<KeySpec> keys = new ArrayList<>();
        for (int i = 0; i < components.length; i++) {
            RecordComponent rc = components[i];
            Annotation[] paramAnnotations = canonical == null ? new Annotation[0] : canonical.getParameterAnnotations()[i];
            Key key = find(Key.class, rc, paramAnnotations);
            Doc doc = find(Doc.class, rc, paramAnnotations);
            Default def = find(Default.class, rc, paramAnnotations);
            Range range = find(Range.class, rc, paramAnnotations);
            boolean nullable = isNullable(rc.getAnnotatedType(), rc.getAnnotations(), paramAnnotations)
                    || (canonical != null && isNullable(canonical.getAnnotatedParameterTypes()[i], new Annotation[0], new Annotation[0]));
            keys.add(new KeySpec(
                    key != null ? key.value() : snake(rc.getName()),
                    rc,
                    rc.getGenericType(),
                    doc == null ? null : doc.value(),
                    def == null ? null : def.value(),
                    range,
                    nullable));
        }
        return new ConfigKeys(type, List.copyOf(keys));
    }

    /** The documentation of the record type itself, if any. */
    public @Nullable String typeDoc() {
        Doc doc = type.getAnnotation(Doc.class);
        return doc == null ? null : doc.value();
    }

    public List<String> names() {
        return keys.stream().map(KeySpec::key).toList();
    }

    static String snake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static @Nullable Constructor<?> canonical(Class<? extends Record> type) {
        Class<?>[] types = java.util.Arrays.stream(type.getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            return type.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static <A extends Annotation> @Nullable A find(Class<A> type, RecordComponent rc, Annotation[] params) {
        A a = rc.getAnnotation(type);
        if (a != null) {
            return a;
        }
        for (Annotation p : params) {
            if (type.isInstance(p)) {
                return type.cast(p);
            }
        }
        return null;
    }

    private static boolean isNullable(AnnotatedType annotatedType, Annotation[] declared, Annotation[] params) {
        for (Annotation a : annotatedType.getAnnotations()) {
            if (a.annotationType().getSimpleName().equals("Nullable")) {
                return true;
            }
        }
        for (Annotation[] group : List.of(declared, params)) {
            for (Annotation a : group) {
                if (a.annotationType().getSimpleName().equals("Nullable")) {
                    return true;
                }
            }
        }
        return false;
    }
}
