/** Start-up of DJL's PyTorch engine: offline switches, native library loading, devices. */
@NullMarked
package dev.winnow.nn.engine;

import org.jspecify.annotations.NullMarked;
