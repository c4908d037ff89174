package dev.winnow.core.train;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What the loop needs to know: sizes, schedule, clipping, evaluation and checkpoint cadence, where to write.
 *
 * @param totalSteps optimizer steps to run
 * @param accumulation micro-batches per optimizer step
 * @param evalEvery evaluate every N steps (0: only at the end)
 * @param saveEvery checkpoint every N steps (0: only at the end)
 * @param lossScaling dynamic loss scaling (fp16 compute), or null for none
 * @param checkpointEvery activation checkpointing in segments of this many layers; 0 keeps every activation
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
        Path runDir,
        LossScaler.@Nullable Options lossScaling,
        int checkpointEvery) {

    /** Options without activation checkpointing. */
    public TrainOptions(long totalSteps, int accumulation, double maxGradNorm, LrSchedule schedule, AdamW.Options optimizer,
            int evalEvery, int saveEvery, int saveTotalLimit, int loggingSteps, String metricForBest, boolean greaterIsBetter,
            long seed, Path runDir, LossScaler.@Nullable Options lossScaling) {
        this(totalSteps, accumulation, maxGradNorm, schedule, optimizer, evalEvery, saveEvery, saveTotalLimit, loggingSteps,
                metricForBest, greaterIsBetter, seed, runDir, lossScaling, 0);
    }

    /** The same options with activation checkpointing every {@code n} layers (0: off). */
    public TrainOptions withCheckpointEvery(int n) {
        return new TrainOptions(totalSteps, accumulation, maxGradNorm, schedule, optimizer, evalEvery, saveEvery, saveTotalLimit,
                loggingSteps, metricForBest, greaterIsBetter, seed, runDir, lossScaling, n);
    }

    /** Options without loss scaling (fp32 and bf16 compute). */
    public TrainOptions(long totalSteps, int accumulation, double maxGradNorm, LrSchedule schedule, AdamW.Options optimizer,
            int evalEvery, int saveEvery, int saveTotalLimit, int loggingSteps, String metricForBest, boolean greaterIsBetter,
            long seed, Path runDir) {
        this(totalSteps, accumulation, maxGradNorm, schedule, optimizer, evalEvery, saveEvery, saveTotalLimit, loggingSteps,
                metricForBest, greaterIsBetter, seed, runDir, null);
    }
}
