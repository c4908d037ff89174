/**
 * Winnow's training loop: AdamW with parameter groups, schedules, accumulation, global-norm clipping, atomic
 * checkpoints with exact resume, metrics.jsonl, loss plots and terminal progress.
 */
@NullMarked
package dev.winnow.core.train;

import org.jspecify.annotations.NullMarked;
