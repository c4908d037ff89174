package dev.winnow.api.data;

import dev.winnow.api.UserException;

/**
 * A row that a format cannot convert. The message names the field and what was expected; the framework adds
 * the file and line, and either stops or (with {@code on_bad_row: skip}) counts and reports the row.
 */
public class RowException extends UserException {
    public RowException(String message) {
        super(message);
    }
}
