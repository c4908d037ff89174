package dev.winnow.api.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Documents a recipe key (a config record component); shown by {@code runner plugins} and the README reference.
 *
 * <p>The config annotations may sit on a record component (Java) or on the canonical constructor's parameter
 * (Kotlin {@code @JvmRecord data class}, where annotations land on the parameter); the binder reads both.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER, ElementType.TYPE})
public @interface Doc {
    String value();
}
