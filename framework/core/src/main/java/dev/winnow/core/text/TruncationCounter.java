package dev.winnow.core.text;

import java.util.concurrent.atomic.AtomicLong;

/** Counts inputs seen and inputs truncated, so that no cut goes unreported. Thread-safe. */
public final class TruncationCounter {
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();

    public void record(boolean wasTruncated) {
        seen.incrementAndGet();
        if (wasTruncated) {
            truncated.incrementAndGet();
        }
    }

    public long seen() {
        return seen.get();
    }

    public long truncated() {
        return truncated.get();
    }

    /** For example "37 of 1200 inputs (3.1%) were truncated to max_length 128". */
    public String report(int maxLength) {
        long s = seen.get();
        long t = truncated.get();
        return t + " of " + s + " inputs (" + String.format(java.util.Locale.ROOT, "%.1f", s == 0 ? 0 : 100.0 * t / s)
                + "%) were truncated to max_length " + maxLength;
    }
}
