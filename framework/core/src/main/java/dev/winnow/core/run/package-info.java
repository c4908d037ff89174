/** Runs a recipe end to end: validate, load, baseline evaluation, training, evaluation, export. */
@NullMarked
package dev.winnow.core.run;

import org.jspecify.annotations.NullMarked;
