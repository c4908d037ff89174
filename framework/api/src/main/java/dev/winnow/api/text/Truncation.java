package dev.winnow.api.text;

/** How a pair is cut to {@code max_length}. */
public enum Truncation {
    /** Cut the document only. */
    ONLY_SECOND,
    /** Cut the longer of the two, one token at a time. */
    LONGEST_FIRST
}
