package dev.winnow.api.model;

import ai.djl.ndarray.NDArray;

/**
 * A named weight. The name is the Hugging Face state-dict name ({@code encoder.layer.0.attention.self.query.weight}),
 * so weights load and export by name with no translation.
 *
 * @param trainable whether the optimizer updates it
 * @param decay whether decoupled weight decay applies to it; the architecture decides (biases and normalisation
 *     weights usually take none, as in Hugging Face's and sentence-transformers' parameter groups)
 */
public record Parameter(String name, NDArray array, boolean trainable, boolean decay) {
    /** A parameter that takes weight decay. */
    public Parameter(String name, NDArray array, boolean trainable) {
        this(name, array, trainable, true);
    }

    /** The same parameter, trainable or frozen. */
    public Parameter withTrainable(boolean trainable) {
        return new Parameter(name, array, trainable, decay);
    }
}
