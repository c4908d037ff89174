package dev.winnow.bert;

import dev.winnow.api.UserException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fields of a BERT or XLM-RoBERTa {@code config.json} that the model uses. Unknown fields are ignored; a
 * missing required one is an error naming the file and key.
 */
public record BertConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        double initializerRange,
        int padTokenId) {

    public static BertConfig parse(Map<String, Object> json, Path file) {
        String type = String.valueOf(json.getOrDefault("model_type", "bert"));
        boolean roberta = type.equals("xlm-roberta") || type.equals("roberta");
        BertConfig c = new BertConfig(
                type,
                integer(json, "vocab_size", file, null),
                integer(json, "hidden_size", file, null),
                integer(json, "num_hidden_layers", file, null),
                integer(json, "num_attention_heads", file, null),
                integer(json, "intermediate_size", file, null),
                String.valueOf(json.getOrDefault("hidden_act", "gelu")),
                number(json, "hidden_dropout_prob", 0.1),
                number(json, "attention_probs_dropout_prob", 0.1),
                integer(json, "max_position_embeddings", file, 512),
                integer(json, "type_vocab_size", file, roberta ? 1 : 2),
                number(json, "layer_norm_eps", 1e-12),
                number(json, "initializer_range", 0.02),
                integer(json, "pad_token_id", file, roberta ? 1 : 0));
        if (c.hiddenSize % c.numAttentionHeads != 0) {
            throw new UserException(file + ": hidden_size " + c.hiddenSize + " is not a multiple of num_attention_heads "
                    + c.numAttentionHeads);
        }
        if (!List.of("gelu", "gelu_python").contains(c.hiddenAct)) {
            throw new UserException(file + ": hidden_act '" + c.hiddenAct + "' is not supported; BERT-family models use gelu");
        }
        return c;
    }

    /** RoBERTa-style positions (offset by padding_idx + 1) and classification head. */
    public boolean roberta() {
        return modelType.equals("xlm-roberta") || modelType.equals("roberta");
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    private static int integer(Map<String, Object> json, String key, Path file, Integer fallback) {
        Object v = json.get(key);
        if (v instanceof Number n) {
            return n.intValue();
        }
        if (v == null && fallback != null) {
            return fallback;
        }
        throw new UserException(file + ": " + (v == null ? "missing required key '" + key + "'" : "'" + key + "' must be an integer, found " + v));
    }

    private static double number(Map<String, Object> json, String key, double fallback) {
        return json.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }
}
