package dev.winnow.qwen3;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fields of a Qwen3 {@code config.json} the decoder uses. Rope scaling: none, {@code linear} (positions
 * divided by the factor), {@code dynamic} (NTK: beyond {@code max_position_embeddings} real tokens the rotary
 * base grows as transformers computes it per batch) or {@code yarn} ({@link Yarn}); other types are refused naming
 * the key and the supported ones.
 */
public record Qwen3Config(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        double ropeLinearFactor,
        double ropeDynamicFactor,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int maxPositionEmbeddings,
        @Nullable Yarn yarn) {

    /** The rope_scaling types this decoder implements. */
    static final String SUPPORTED_ROPE = "default, linear, dynamic, yarn";

    public static Qwen3Config parse(Map<String, Object> json, Path file) {
        HfConfig c = HfConfig.of(json, file);
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        double factor = 1.0;
        double dynamic = 1.0;
        Yarn yarn = null;
        int maxPositions = c.integer("max_position_embeddings", 40960);
        Map<String, Object> scaling = c.mapping("rope_scaling");
        if (scaling != null) {
            Object type = scaling.get("rope_type") != null ? scaling.get("rope_type") : scaling.get("type");
            double f = scaling.get("factor") instanceof Number n ? n.doubleValue() : 1.0;
            if ("linear".equals(type)) {
                factor = f;
            } else if ("dynamic".equals(type)) {
                dynamic = f;
            } else if ("yarn".equals(type)) {
                yarn = Yarn.parse(scaling, maxPositions, file);
            } else if (!"default".equals(type)) {
                throw c.error("rope_scaling type '" + type + "' is not supported; supported: " + SUPPORTED_ROPE);
            }
        }
        c.refuseIf("use_sliding_window", true, "sliding-window attention is not implemented; set it to false");
        c.oneOf("hidden_act", "silu", "silu");
        Qwen3Config config = new Qwen3Config(
                c.integer("vocab_size"),
                hidden,
                c.integer("intermediate_size"),
                c.integer("num_hidden_layers"),
                heads,
                c.integer("num_key_value_heads", heads),
                c.integer("head_dim", hidden / heads),
                c.number("rms_norm_eps", 1e-6),
                c.number("rope_theta", 1_000_000.0),
                factor,
                dynamic,
                c.bool("tie_word_embeddings", false),
                c.bool("attention_bias", false),
                maxPositions,
                yarn);
        c.check(config.numAttentionHeads % config.numKeyValueHeads == 0, "num_attention_heads " + config.numAttentionHeads
                + " is not a multiple of num_key_value_heads " + config.numKeyValueHeads);
        return config;
    }
}
