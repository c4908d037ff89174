package dev.winnow.core.train;

/**
 * Learning rate as a pure function of the optimizer step (0-based), with the formulas of Hugging Face
 * transformers' {@code get_constant_schedule_with_warmup}, {@code get_linear_schedule_with_warmup} and
 * {@code get_cosine_schedule_with_warmup}, plus a floor at {@code minRatio * lr}.
 */
public record LrSchedule(Kind kind, double lr, long warmupSteps, long totalSteps, double minRatio) {
    /** The shape after warmup. */
    public enum Kind {
        CONSTANT, LINEAR, COSINE
    }

    /** Warmup steps from an explicit count, else a ratio of the total (rounded up, as transformers does). */
    public static long warmup(long steps, double ratio, long totalSteps) {
        return steps > 0 ? steps : (long) Math.ceil(ratio * totalSteps);
    }

    public double at(long step) {
        double factor;
        if (step < warmupSteps) {
            factor = (double) step / Math.max(1, warmupSteps);
            return lr * factor;
        }
        factor = switch (kind) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            }
        };
        return lr * (minRatio + (1 - minRatio) * factor);
    }
}
