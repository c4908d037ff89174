/**
 * Training and evaluation data: streaming JSON Lines / JSON array readers, applying a dataset format to rows
 * with a bad-row policy, grouping query records into training groups, and carving an eval split.
 */
@NullMarked
package dev.winnow.core.data;

import org.jspecify.annotations.NullMarked;
