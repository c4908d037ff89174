/**
 * Finding a model's files: a local directory in Hugging Face layout, or a Hub id resolved through the standard
 * Hugging Face cache (downloaded over HTTPS when absent, unless offline).
 */
@NullMarked
package dev.winnow.core.hub;

import org.jspecify.annotations.NullMarked;
