package dev.winnow.api.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The value a recipe key takes when absent, written as it would be in YAML ({@code "0.1"}, {@code "true"},
 * {@code "[q_proj, v_proj]"}). A component without {@code @Default} and not {@code @Nullable} is required.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER})
public @interface Default {
    String value();
}
