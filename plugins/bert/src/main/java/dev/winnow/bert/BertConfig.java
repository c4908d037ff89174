package dev.winnow.bert;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * The fields of a BERT or XLM-RoBERTa {@code config.json} that the model uses. Unknown fields are ignored; a
 * missing required one, or a value the model does not implement, is an error naming the file and key.
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
        HfConfig c = HfConfig.of(json, file);
        String type = c.string("model_type", "bert");
        boolean roberta = type.equals("xlm-roberta") || type.equals("roberta");
        String act = c.oneOf("hidden_act", "gelu", "gelu", "gelu_python");
        c.refuseIf("position_embedding_type", "relative_key", "only absolute position embeddings are implemented");
        c.refuseIf("position_embedding_type", "relative_key_query", "only absolute position embeddings are implemented");
        BertConfig config = new BertConfig(
                type,
                c.integer("vocab_size"),
                c.integer("hidden_size"),
                c.integer("num_hidden_layers"),
                c.integer("num_attention_heads"),
                c.integer("intermediate_size"),
                act,
                c.number("hidden_dropout_prob", 0.1),
                c.number("attention_probs_dropout_prob", 0.1),
                c.integer("max_position_embeddings", 512),
                c.integer("type_vocab_size", roberta ? 1 : 2),
                c.number("layer_norm_eps", 1e-12),
                c.number("initializer_range", 0.02),
                c.integer("pad_token_id", roberta ? 1 : 0));
        c.check(config.hiddenSize % config.numAttentionHeads == 0, "hidden_size " + config.hiddenSize
                + " is not a multiple of num_attention_heads " + config.numAttentionHeads);
        return config;
    }

    /** RoBERTa-style positions (offset by padding_idx + 1) and classification head. */
    public boolean roberta() {
        return modelType.equals("xlm-roberta") || modelType.equals("roberta");
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
