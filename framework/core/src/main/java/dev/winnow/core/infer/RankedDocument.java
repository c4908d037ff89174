package dev.winnow.core.infer;

/** A document's position in the caller's list and its score, as {@link CrossEncoder#rank} returns them. */
public record RankedDocument(int index, float score) {}
