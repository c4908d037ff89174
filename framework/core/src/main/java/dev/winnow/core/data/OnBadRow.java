package dev.winnow.core.data;

/** What to do with a row that is malformed JSON or that the format cannot convert (recipe key {@code on_bad_row}). */
public enum OnBadRow {
    /** Stop with an error naming the file and line. The default: bad data should be seen, not guessed around. */
    ERROR,
    /** Count the row, warn about the first few, report the total, and go on. */
    SKIP
}
