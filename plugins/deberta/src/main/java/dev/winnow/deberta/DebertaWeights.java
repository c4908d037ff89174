package dev.winnow.deberta;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight-name table, as DebertaV2ForSequenceClassification stores it: the encoder under {@code deberta.}
 * (a bare DebertaV2Model checkpoint has the same names without the prefix), the ContextPooler under {@code pooler.}
 * and the classifier under {@code classifier.}. Position embeddings exist only with {@code position_biased_input},
 * token-type embeddings only with {@code type_vocab_size > 0}, {@code pos_key_proj} / {@code pos_query_proj} only
 * without {@code share_att_key}, {@code encoder.LayerNorm} only with {@code norm_rel_ebd: layer_norm}.
 */
final class DebertaWeights {
    private DebertaWeights() {}

    static final String PREFIX = "deberta.";

    /** The encoder's tensors (unprefixed) with their shapes, in checkpoint order. */
    static Map<String, Shape> encoder(DebertaConfig c) {
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        Map<String, Shape> out = new LinkedHashMap<>();
        out.put("embeddings.word_embeddings.weight", new Shape(c.vocabSize(), h));
        if (c.positionBiasedInput()) {
            out.put("embeddings.position_embeddings.weight", new Shape(c.maxPositionEmbeddings(), h));
        }
        if (c.typeVocabSize() > 0) {
            out.put("embeddings.token_type_embeddings.weight", new Shape(c.typeVocabSize(), h));
        }
        norm(out, "embeddings.LayerNorm", h);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String m : attentionProjections(c)) {
                linear(out, p + "attention.self." + m, h, h);
            }
            linear(out, p + "attention.output.dense", h, h);
            norm(out, p + "attention.output.LayerNorm", h);
            linear(out, p + "intermediate.dense", f, h);
            linear(out, p + "output.dense", h, f);
            norm(out, p + "output.LayerNorm", h);
        }
        out.put("encoder.rel_embeddings.weight", new Shape(2L * c.attentionSpan(), h));
        if (c.normRelEmbedding()) {
            norm(out, "encoder.LayerNorm", h);
        }
        return out;
    }

    /** query/key/value, and the separate relative projections when keys are not shared. */
    static List<String> attentionProjections(DebertaConfig c) {
        List<String> out = new ArrayList<>(List.of("query_proj", "key_proj", "value_proj"));
        if (!c.shareAttKey()) {
            out.add("pos_key_proj"); // c2p
            out.add("pos_query_proj"); // p2c
        }
        return out;
    }

    /** The head of a reranker: ContextPooler and classifier, or (mean pooling) the classifier alone. */
    static Map<String, Shape> head(DebertaConfig c, boolean contextPooler, int labels) {
        long h = c.hiddenSize();
        Map<String, Shape> out = new LinkedHashMap<>();
        if (contextPooler) {
            linear(out, "pooler.dense", h, h);
        }
        linear(out, "classifier", labels, h);
        return out;
    }

    /** Whether a tensor or linear module belongs to the head ({@code pooler.dense}, {@code classifier}). */
    static boolean head(String name) {
        return name.startsWith("pooler.") || name.equals("classifier") || name.startsWith("classifier.");
    }

    /**
     * Tensors a checkpoint may hold that the model does not use: the pre-training heads (the masked-LM
     * {@code lm_predictions.*}, the replaced-token discriminator {@code mask_predictions.*}), the {@code position_ids}
     * buffer, a position table that {@code position_biased_input: false} leaves unused, another head's pooler.
     */
    static boolean unused(String name, DebertaConfig c) {
        return name.startsWith("lm_predictions.") || name.startsWith("mask_predictions.") || name.startsWith("cls.")
                || name.endsWith("position_ids") || name.startsWith("pooler.") || name.startsWith("classifier.")
                || !c.positionBiasedInput() && name.equals("embeddings.position_embeddings.weight");
    }

    /** Weight decay for matrices and embeddings, none for biases and LayerNorm weights (Hugging Face's groups). */
    static boolean decays(String name) {
        return !name.endsWith(".bias") && !name.endsWith("LayerNorm.weight");
    }

    private static void norm(Map<String, Shape> out, String module, long h) {
        out.put(module + ".weight", new Shape(h));
        out.put(module + ".bias", new Shape(h));
    }

    private static void linear(Map<String, Shape> out, String module, long rows, long cols) {
        out.put(module + ".weight", new Shape(rows, cols));
        out.put(module + ".bias", new Shape(rows));
    }
}
