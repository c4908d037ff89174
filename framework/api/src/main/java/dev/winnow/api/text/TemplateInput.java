package dev.winnow.api.text;

import org.jspecify.annotations.Nullable;

/** A (query, document) pair to render, with the row's instruction if it has one. */
public record TemplateInput(String query, String document, @Nullable String instruction) {}
