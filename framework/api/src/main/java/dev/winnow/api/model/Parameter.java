package dev.winnow.api.model;

import ai.djl.ndarray.NDArray;

/**
 * A named weight. The name is the Hugging Face state-dict name ({@code encoder.layer.0.attention.self.query.weight}),
 * so weights load and export by name with no translation.
 */
public record Parameter(String name, NDArray array, boolean trainable) {}
