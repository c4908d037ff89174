package dev.winnow.core.data;

import dev.winnow.api.UserException;
import dev.winnow.api.data.RowOrigin;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an {@link OnBadRow} policy: under {@code ERROR} a bad row throws a {@link UserException} whose message
 * starts with {@code file:line:}; under {@code SKIP} it is counted, the first few are logged and kept for the
 * report. Not thread-safe: one instance per reading pass.
 */
public final class BadRows {
    /** How many bad rows are logged and kept in the report, beyond which they are only counted. */
    public static final int KEPT = 5;

    private static final Logger LOG = LoggerFactory.getLogger(BadRows.class);

    private final OnBadRow policy;
    private final List<String> first = new ArrayList<>();
    private long count;

    public BadRows(OnBadRow policy) {
        this.policy = policy;
    }

    public OnBadRow policy() {
        return policy;
    }

    /**
     * Handles one bad row.
     *
     * @param message what is wrong, without the position (for example {@code malformed JSON: ...})
     * @throws UserException under {@link OnBadRow#ERROR}
     */
    public void report(RowOrigin origin, String message) {
        String located = origin + ": " + message;
        if (policy == OnBadRow.ERROR) {
            throw new UserException(located + " (set on_bad_row: skip to count and skip bad rows instead)");
        }
        count++;
        if (first.size() < KEPT) {
            first.add(located);
            LOG.warn("skipping bad row {}", located);
        } else if (count == KEPT + 1) {
            LOG.warn("more bad rows are being skipped; only their count will be reported");
        }
    }

    /** Rows skipped so far. */
    public long count() {
        return count;
    }

    /** The first {@link #KEPT} skipped rows, each {@code file:line: message}. */
    public List<String> first() {
        return List.copyOf(first);
    }
}
