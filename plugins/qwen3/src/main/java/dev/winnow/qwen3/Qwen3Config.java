package dev.winnow.qwen3;

import dev.winnow.api.UserException;
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
        int hidden = integer(json, "hidden_size", file, null);
        int heads = integer(json, "num_attention_heads", file, null);
        double factor = 1.0;
        double dynamic = 1.0;
        Yarn yarn = null;
        int maxPositions = integer(json, "max_position_embeddings", file, 40960);
        Object scaling = json.get("rope_scaling");
        if (scaling instanceof Map<?, ?> s) {
            Object type = s.get("rope_type") != null ? s.get("rope_type") : s.get("type");
            double f = s.get("factor") instanceof Number n ? n.doubleValue() : 1.0;
            if ("linear".equals(type)) {
                factor = f;
            } else if ("dynamic".equals(type)) {
                dynamic = f;
            } else if ("yarn".equals(type)) {
                yarn = Yarn.parse(s, maxPositions, file);
            } else if (!"default".equals(type)) {
                throw new UserException(file + ": rope_scaling type '" + type + "' is not supported; supported: " + SUPPORTED_ROPE);
            }
        } else if (scaling != null) {
            throw new UserException(file + ": rope_scaling must be a mapping or null, found " + scaling);
        }
        if (Boolean.TRUE.equals(json.get("use_sliding_window"))) {
            throw new UserException(file + ": use_sliding_window true is not supported (sliding-window attention is not "
                    + "implemented); set it to false");
        }
        String act = String.valueOf(json.getOrDefault("hidden_act", "silu"));
        if (!act.equals("silu")) {
            throw new UserException(file + ": hidden_act '" + act + "' is not supported; Qwen3 uses silu");
        }
        Qwen3Config c = new Qwen3Config(
                integer(json, "vocab_size", file, null),
                hidden,
                integer(json, "intermediate_size", file, null),
                integer(json, "num_hidden_layers", file, null),
                heads,
                integer(json, "num_key_value_heads", file, heads),
                integer(json, "head_dim", file, hidden / heads),
                number(json, "rms_norm_eps", 1e-6),
                number(json, "rope_theta", 1_000_000.0),
                factor,
                dynamic,
                Boolean.TRUE.equals(json.get("tie_word_embeddings")),
                Boolean.TRUE.equals(json.get("attention_bias")),
                maxPositions,
                yarn);
        if (c.numAttentionHeads % c.numKeyValueHeads != 0) {
            throw new UserException(file + ": num_attention_heads " + c.numAttentionHeads + " is not a multiple of num_key_value_heads "
                    + c.numKeyValueHeads);
        }
        return c;
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
