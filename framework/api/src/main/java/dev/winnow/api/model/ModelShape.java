package dev.winnow.api.model;

/**
 * The sizes of a model that the memory estimate needs before anything is loaded, as its architecture reads them
 * from {@code config.json} ({@link ModelArchitecture#shape}).
 *
 * @param parameters every weight of the model as a task model holds it
 * @param layers transformer layers (the unit of activation memory)
 * @param hiddenSize width of the hidden states
 * @param attentionHeads query heads per layer
 * @param largestTensor elements of the largest single weight (usually the token embedding), which bounds the
 *     optimizer's temporaries
 * @param loraParametersPerRank trainable LoRA parameters per unit of rank with every linear layer adapted
 *     ({@code target_modules: [all-linear]}): the sum over those layers of {@code in + out}
 */
public record ModelShape(long parameters, int layers, int hiddenSize, int attentionHeads, long largestTensor,
        long loraParametersPerRank) {}
