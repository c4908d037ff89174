/**
 * The recipe language: safe YAML with positions, {@code base:} inheritance, {@code key=value} overrides,
 * {@code ${VAR}} references, binding to config records, and validation that reports every problem at once.
 */
@NullMarked
package dev.winnow.core.recipe;

import org.jspecify.annotations.NullMarked;
