package dev.winnow.api.text;

/** Token ids of one input (no padding), with token type ids, and whether truncation cut anything. */
public record Encoded(long[] ids, long[] typeIds, boolean truncated) {}
