package dev.winnow.core.infer;

/** A (query, document) pair to score. */
public record TextPair(String query, String document) {}
