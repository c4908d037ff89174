package dev.winnow.api.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The recipe key of a record component, when it is not the component's name in snake_case
 * ({@code maxLength} is {@code max_length} without this annotation).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER})
public @interface Key {
    String value();
}
