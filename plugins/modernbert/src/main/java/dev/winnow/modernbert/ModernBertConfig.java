package dev.winnow.modernbert;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fields of a ModernBERT {@code config.json} (transformers' {@code ModernBertConfig}) that the model reads. Keys
 * that only steer transformers' execution (reference_compile, deterministic_flash_attn, repad_logits_with_grad) or the
 * masked-LM head (decoder_bias, sparse_prediction) change nothing here; keys whose value this plugin does not
 * implement are refused by name.
 *
 * @param globalAttnEveryNLayers layer {@code i} attends globally when {@code i % globalAttnEveryNLayers == 0}
 * @param localAttention the sliding window of the other layers: query {@code i} sees key {@code j} when
 *     {@code |i - j| <= localAttention / 2}
 */
public record ModernBertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        double normEps,
        boolean normBias,
        boolean attentionBias,
        boolean mlpBias,
        boolean classifierBias,
        double globalRopeTheta,
        double localRopeTheta,
        int globalAttnEveryNLayers,
        int localAttention,
        double attentionDropout,
        double embeddingDropout,
        double mlpDropout,
        double classifierDropout,
        String classifierPooling,
        int padTokenId,
        double initializerRange,
        double initializerCutoffFactor) {

    public static ModernBertConfig parse(Map<String, Object> json, Path file) {
        HfConfig c = HfConfig.of(json, file);
        String type = c.string("model_type", "modernbert");
        c.check(type.equals("modernbert"), "model_type '" + type + "' is not modernbert");
        c.oneOf("hidden_activation", "gelu", "gelu");
        c.oneOf("classifier_activation", "gelu", "gelu");
        String pooling = c.oneOf("classifier_pooling", "cls", "cls", "mean");
        c.refusePresent("rope_scaling", "only the default rotary embedding is implemented");
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        c.check(heads > 0 && hidden % heads == 0, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        Integer headDim = c.optionalInteger("head_dim");
        c.check(headDim == null || headDim == hidden / heads, "head_dim " + headDim + " is not hidden_size / num_attention_heads ("
                + hidden / heads + "), which ModernBERT's attention uses");
        int layers = c.integer("num_hidden_layers");
        int every = c.integer("global_attn_every_n_layers", 3);
        c.check(every >= 1, "global_attn_every_n_layers must be >= 1, found " + every);
        int window = c.integer("local_attention", 128);
        c.check(window >= 0, "local_attention must be >= 0, found " + window);
        double globalTheta = c.number("global_rope_theta", 160000.0);
        double localTheta = c.number("local_rope_theta", 10000.0);
        // transformers >= 5 writes the per-layer-kind rotary bases and the layer kinds explicitly
        Map<String, Object> rope = c.mapping("rope_parameters");
        if (rope != null) {
            globalTheta = ropeTheta(c, rope, "full_attention", globalTheta);
            localTheta = ropeTheta(c, rope, "sliding_attention", localTheta);
        }
        List<?> kinds = c.list("layer_types");
        if (kinds != null) {
            c.check(kinds.size() == layers, "layer_types has " + kinds.size() + " entries for " + layers + " layers");
            for (int i = 0; i < layers; i++) {
                String expected = i % every == 0 ? "full_attention" : "sliding_attention";
                c.check(expected.equals(kinds.get(i)), "layer_types[" + i + "] is " + kinds.get(i) + " but global_attn_every_n_layers "
                        + every + " makes layer " + i + " " + expected + "; only that pattern is implemented");
            }
        }
        ModernBertConfig config = new ModernBertConfig(
                c.integer("vocab_size"),
                hidden,
                layers,
                heads,
                c.integer("intermediate_size"),
                c.integer("max_position_embeddings", 8192),
                c.number("norm_eps", 1e-5),
                c.bool("norm_bias", false),
                c.bool("attention_bias", false),
                c.bool("mlp_bias", false),
                c.bool("classifier_bias", false),
                globalTheta,
                localTheta,
                every,
                window,
                c.number("attention_dropout", 0.0),
                c.number("embedding_dropout", 0.0),
                c.number("mlp_dropout", 0.0),
                c.number("classifier_dropout", 0.0),
                pooling,
                c.integer("pad_token_id", 50283),
                c.number("initializer_range", 0.02),
                c.number("initializer_cutoff_factor", 2.0));
        return config;
    }

    private static double ropeTheta(HfConfig c, Map<String, Object> rope, String kind, double fallback) {
        Object p = rope.get(kind);
        if (!(p instanceof Map<?, ?> m)) {
            return fallback;
        }
        Object ropeType = m.get("rope_type");
        c.check(ropeType == null || ropeType.equals("default"), "rope_parameters." + kind + ".rope_type '" + ropeType
                + "' is not supported: only the default rotary embedding is implemented");
        Object theta = m.get("rope_theta");
        c.check(theta == null || theta instanceof Number, "rope_parameters." + kind + ".rope_theta must be a number, found " + theta);
        return theta == null ? fallback : ((Number) theta).doubleValue();
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Whether layer {@code i} attends globally (else within the sliding window). */
    public boolean global(int i) {
        return i % globalAttnEveryNLayers == 0;
    }

    /** Half the window: the largest {@code |i - j|} a local layer lets query i see. */
    public int halfWindow() {
        return localAttention / 2;
    }

    /** The rotary base of layer {@code i}. */
    public double ropeTheta(int i) {
        return global(i) ? globalRopeTheta : localRopeTheta;
    }
}
