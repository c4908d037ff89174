package dev.winnow.api;

/**
 * A mistake the user can fix (a bad recipe, a missing file, a malformed row). The CLI prints the message alone,
 * with no stack trace, and exits with code 2. Messages name the file, line or key and what would be valid.
 */
public class UserException extends WinnowException {
    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
