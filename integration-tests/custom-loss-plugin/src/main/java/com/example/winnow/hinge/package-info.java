/** A third-party Winnow plugin: a pairwise hinge loss. */
@NullMarked
package com.example.winnow.hinge;

import org.jspecify.annotations.NullMarked;
