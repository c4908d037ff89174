package dev.winnow.bert;

import java.util.ArrayList;
import java.util.List;

/**
 * The weight-name table: Hugging Face names of every tensor of the encoder (without the {@code bert.} /
 * {@code roberta.} prefix that task models add) and of each head.
 */
final class BertWeights {
    private BertWeights() {}

    static List<String> encoder(BertConfig c) {
        List<String> names = new ArrayList<>(List.of(
                "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "intermediate.dense", "output.dense")) {
                names.add(p + s + ".weight");
                names.add(p + s + ".bias");
            }
            for (String s : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                names.add(p + s + ".weight");
                names.add(p + s + ".bias");
            }
        }
        return names;
    }

    /** The cross-encoder head: BERT's pooler + classifier, or XLM-R's dense-tanh-out_proj classifier. */
    static List<String> classificationHead(BertConfig c) {
        return c.roberta()
                ? List.of("classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias")
                : List.of("pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias");
    }

    /** Tensors of pretraining heads that a checkpoint may carry and an encoder does not use. */
    static boolean pretrainingHead(String name) {
        return name.startsWith("cls.") || name.startsWith("lm_head.") || name.startsWith("pooler.")
                || name.startsWith("classifier.") || name.startsWith("score.") || name.endsWith("position_ids");
    }

    /** Weight decay applies to matrices and embeddings, not to biases or LayerNorm weights (Hugging Face's groups). */
    static boolean decays(String name) {
        return !name.endsWith(".bias") && !name.contains("LayerNorm.");
    }

    static String prefix(BertConfig c) {
        return c.roberta() ? "roberta." : "bert.";
    }
}
