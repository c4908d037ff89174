/** Small file-system helpers shared by checkpoints, exports and model caches. */
@NullMarked
package dev.winnow.core.io;

import org.jspecify.annotations.NullMarked;
