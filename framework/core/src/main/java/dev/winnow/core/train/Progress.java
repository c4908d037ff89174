package dev.winnow.core.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: a single redrawn bar with loss, learning rate, throughput and ETA on a terminal; plain
 * lines every {@code logging_steps} otherwise (logs, CI).
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final long total;
    private long startNanos = System.nanoTime();
    private long firstStep;
    private boolean started;

    public Progress(PrintStream out, boolean terminal, long total, long firstStep) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
        this.firstStep = firstStep;
    }

    public static boolean isTerminal() {
        return System.console() != null && System.getenv("CI") == null;
    }

    public void step(long step, double loss, double lr, double examplesPerSecond, boolean logLine) {
        if (!started) {
            // the ETA counts from the first step this process runs (a resumed run starts mid-way)
            started = true;
            firstStep = step - 1;
            startNanos = System.nanoTime() - 1;
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long done = step - firstStep;
        double eta = done > 0 ? elapsed / done * (total - step) : 0;
        String stats = String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  %.1f ex/s  eta %s", step, total, loss,
                lr, examplesPerSecond, duration(eta));
        if (terminal) {
            int width = 30;
            int filled = (int) (width * step / Math.max(1, total));
            out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + stats + "   ");
            if (step == total) {
                out.println();
            }
            out.flush();
        } else if (logLine) {
            out.println(stats);
        }
    }

    public void line(String text) {
        if (terminal) {
            out.print("\r");
        }
        out.println(text);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
