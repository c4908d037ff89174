/** Throughput and MFU benchmarks, printed as figures and ratios. */
@NullMarked
package dev.winnow.benchmarks;

import org.jspecify.annotations.NullMarked;
