package dev.winnow.gemma;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * The fields of a Gemma 1 {@code config.json} ({@code model_type: gemma}, transformers' {@code GemmaConfig}). The MLP
 * activation is {@code hidden_activation}; when it is absent or null transformers ignores {@code hidden_act} and uses
 * the tanh-approximated GELU (gemma-2b's config says {@code hidden_act: gelu}), and so does this. Gemma 2 and 3 keys
 * (logit soft-capping, sliding-window layers, {@code query_pre_attn_scalar}) are refused by name.
 */
public record GemmaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean exactGelu,
        int maxPositionEmbeddings) {

    /** hidden_activation values: the two tanh approximations and the exact erf GELU. */
    static final String[] ACTIVATIONS = {"gelu_pytorch_tanh", "gelu_new", "gelu"};

    public static GemmaConfig parse(Map<String, Object> json, Path file) {
        HfConfig c = HfConfig.of(json, file);
        String gemma23 = "that is a Gemma 2/3 feature; this plugin implements Gemma 1 (model_type gemma)";
        for (String key : new String[] {"final_logit_softcapping", "attn_logit_softcapping", "sliding_window",
                "sliding_window_pattern", "layer_types", "query_pre_attn_scalar", "rope_local_base_freq"}) {
            c.refusePresent(key, gemma23);
        }
        c.refuseIf("cache_implementation", "hybrid", gemma23);
        Map<String, Object> scaling = c.mapping("rope_scaling");
        if (scaling != null) {
            Object type = scaling.get("rope_type") != null ? scaling.get("rope_type") : scaling.get("type");
            if (!"default".equals(type)) {
                throw c.error("rope_scaling type '" + type + "' is not supported; Gemma 1 uses plain rotary embeddings (default)");
            }
        }
        String activation = c.has("hidden_activation")
                ? c.oneOf("hidden_activation", "gelu_pytorch_tanh", ACTIVATIONS)
                : "gelu_pytorch_tanh";
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        GemmaConfig config = new GemmaConfig(
                c.integer("vocab_size"),
                hidden,
                c.integer("intermediate_size"),
                c.integer("num_hidden_layers"),
                heads,
                c.integer("num_key_value_heads", heads),
                c.integer("head_dim", hidden / heads),
                c.number("rms_norm_eps", 1e-6),
                c.number("rope_theta", 10000.0),
                c.bool("tie_word_embeddings", true),
                c.bool("attention_bias", false),
                activation.equals("gelu"),
                c.integer("max_position_embeddings", 8192));
        c.check(config.numAttentionHeads % config.numKeyValueHeads == 0, "num_attention_heads " + config.numAttentionHeads
                + " is not a multiple of num_key_value_heads " + config.numKeyValueHeads);
        c.check(config.headDim % 2 == 0, "head_dim " + config.headDim + " must be even for rotary embeddings");
        return config;
    }
}
