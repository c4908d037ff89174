/** The {@code runner} command line: run, validate, plugins, resume, score, mine, import-onnx. */
@NullMarked
package dev.winnow.cli;

import org.jspecify.annotations.NullMarked;
