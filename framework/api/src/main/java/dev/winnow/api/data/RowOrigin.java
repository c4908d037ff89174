package dev.winnow.api.data;

/** Where a row came from, for error messages: {@code file:line}. */
public record RowOrigin(String file, long line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
