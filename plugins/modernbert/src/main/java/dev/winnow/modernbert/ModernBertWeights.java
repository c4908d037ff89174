package dev.winnow.modernbert;

import java.util.ArrayList;
import java.util.List;

/**
 * The weight-name table: Hugging Face names of every tensor of the encoder (as {@code ModernBertModel} saves them;
 * {@code ModernBertForSequenceClassification} and {@code ModernBertForMaskedLM} prefix them with {@code model.}) and
 * of the sequence-classification head. Biases exist only where the config's {@code attention_bias}, {@code mlp_bias},
 * {@code norm_bias} and {@code classifier_bias} say so; layer 0 has no {@code attn_norm} (it is the identity).
 */
final class ModernBertWeights {
    private ModernBertWeights() {}

    static final String PREFIX = "model.";

    static List<String> encoder(ModernBertConfig c) {
        List<String> names = new ArrayList<>();
        names.add("embeddings.tok_embeddings.weight");
        norm(names, "embeddings.norm", c);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            if (i != 0) {
                norm(names, p + "attn_norm", c);
            }
            linear(names, p + "attn.Wqkv", c.attentionBias());
            linear(names, p + "attn.Wo", c.attentionBias());
            norm(names, p + "mlp_norm", c);
            linear(names, p + "mlp.Wi", c.mlpBias());
            linear(names, p + "mlp.Wo", c.mlpBias());
        }
        norm(names, "final_norm", c);
        return names;
    }

    /** ModernBertPredictionHead (dense, activation, norm): a masked-LM checkpoint has it too, under the same names. */
    static List<String> predictionHead(ModernBertConfig c) {
        List<String> names = new ArrayList<>();
        linear(names, "head.dense", c.classifierBias());
        norm(names, "head.norm", c);
        return names;
    }

    /** The classifier of ModernBertForSequenceClassification (always with a bias). */
    static List<String> classifier() {
        return List.of("classifier.weight", "classifier.bias");
    }

    /** Tensors a checkpoint may carry that the task does not use: the masked-LM decoder, another task's head. */
    static boolean unused(String name) {
        return name.startsWith("decoder.") || name.startsWith("head.") || name.startsWith("classifier.");
    }

    /** Weight decay for matrices and the embedding, none for biases and LayerNorm weights (Hugging Face's groups). */
    static boolean decays(String name) {
        return !name.endsWith(".bias") && !name.endsWith("norm.weight");
    }

    static boolean head(String name) {
        return name.startsWith("head.") || name.startsWith("classifier.");
    }

    private static void norm(List<String> names, String module, ModernBertConfig c) {
        names.add(module + ".weight");
        if (c.normBias()) {
            names.add(module + ".bias");
        }
    }

    private static void linear(List<String> names, String module, boolean bias) {
        names.add(module + ".weight");
        if (bias) {
            names.add(module + ".bias");
        }
    }
}
