/**
 * Data parallel training in one process ({@code devices.strategy: data_parallel}): one model replica per device, each
 * micro-batch split across the replicas, gradients summed into the first replica before clipping and the update, the
 * others refreshed from it after every step and verified by a checksum.
 */
@NullMarked
package dev.winnow.core.parallel;

import org.jspecify.annotations.NullMarked;
