package dev.winnow.core.train;

import java.nio.file.Path;

/**
 * What the loop needs to know: sizes, schedule, clipping, evaluation and checkpoint cadence, where to write.
 *
 * @param totalSteps optimizer steps to run
 * @param accumulation micro-batches per optimizer step
 * @param evalEvery evaluate every N steps (0: only at the end)
 * @param saveEvery checkpoint every N steps (0: only at the end)
 */
public record TrainOptions(
        long totalSteps,
        int accumulation,
        double maxGradNorm,
        LrSchedule schedule,
        AdamW.Options optimizer,
        int evalEvery,
        int saveEvery,
        int saveTotalLimit,
        int loggingSteps,
        String metricForBest,
        boolean greaterIsBetter,
        long seed,
        Path runDir) {}
