package dev.winnow.api.model;

/**
 * The floating-point precision of a model's compute; the recipe key {@code train.precision} selects it.
 * Parameters, gradients and optimizer state are float32 in every case: only what runs inside the kernels
 * (matrix products and attention) changes.
 */
public enum Precision {
    /** float32 throughout. */
    FP32,
    /** float16 matrix products and attention inside the kernels; training needs loss scaling. */
    FP16,
    /** bfloat16 matrix products and attention inside the kernels. */
    BF16
}
