package dev.winnow.api;

/** An internal failure: a bug or an environment problem. The CLI exits with code 1. */
public class WinnowException extends RuntimeException {
    public WinnowException(String message) {
        super(message);
    }

    public WinnowException(String message, Throwable cause) {
        super(message, cause);
    }
}
