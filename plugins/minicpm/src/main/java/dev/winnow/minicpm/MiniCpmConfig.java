package dev.winnow.minicpm;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fields of a MiniCPM {@code config.json} as FlagEmbedding's {@code LayerWiseMiniCPMConfig} reads them
 * ({@code model_type: minicpm}, bge-reranker-v2-minicpm-layerwise, openbmb/MiniCPM-2B). Every key of that class is
 * read: the decoder's sizes, {@code scale_emb}, {@code scale_depth}, {@code dim_model_base}, and the layerwise heads'
 * {@code start_layer}, {@code head_multi}, {@code head_type}. {@code dim_model_base} only scales the full-vocabulary
 * logits of the {@code raw} / {@code complex} heads; the {@code simple} Linear(hidden, 1) heads read the final-norm
 * hidden state unscaled, so it is validated and kept for export but changes no score here. {@code pretraining_tp}
 * only splits the same matrix products into slices (equal results), so any value is accepted. Keys of later MiniCPM
 * generations (MoE, multi-head latent attention, long-RoPE, sparse attention) are refused by name.
 */
public record MiniCpmConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        double rmsNormEps,
        double ropeTheta,
        boolean attentionBias,
        double attentionDropout,
        double scaleEmb,
        double scaleDepth,
        double dimModelBase,
        int startLayer,
        boolean headMulti,
        int maxPositionEmbeddings) {

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** The residual branches' multiplier, {@code scale_depth / sqrt(num_hidden_layers)} (MiniCPMDecoderLayer). */
    public double residualScale() {
        return scaleDepth / Math.sqrt(numHiddenLayers);
    }

    /** The layers with a score head: {@code start_layer .. num_hidden_layers}. */
    public List<Integer> scoreLayers() {
        return java.util.stream.IntStream.rangeClosed(startLayer, numHiddenLayers).boxed().toList();
    }

    public static MiniCpmConfig parse(Map<String, Object> json, Path file) {
        HfConfig c = HfConfig.of(json, file);
        String later = "that is a later MiniCPM generation's feature; this plugin implements the MiniCPM 1/2 decoder of "
                + "FlagEmbedding's modeling_minicpm_reranker.py";
        for (String key : new String[] {"num_experts", "num_experts_per_tok", "q_lora_rank", "kv_lora_rank",
                "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "sparse_config", "sliding_window", "mup_denominator"}) {
            c.refusePresent(key, later);
        }
        Map<String, Object> scaling = c.mapping("rope_scaling");
        if (scaling != null) {
            Object type = scaling.get("rope_type") != null ? scaling.get("rope_type") : scaling.get("type");
            throw c.error("rope_scaling type '" + type + "' is not supported; this plugin implements plain rotary embeddings "
                    + "(rope_scaling null), as bge-reranker-v2-minicpm-layerwise uses");
        }
        c.oneOf("hidden_act", "silu", "silu");
        String headType = c.string("head_type", "simple");
        if (!headType.equals("simple")) {
            throw c.error("head_type '" + headType + "' is not supported: 'raw' and 'complex' are full-vocabulary lm_heads; "
                    + "this plugin implements the 'simple' Linear(hidden, 1) score heads of bge-reranker-v2-minicpm-layerwise");
        }
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        int layers = c.integer("num_hidden_layers");
        MiniCpmConfig config = new MiniCpmConfig(
                c.integer("vocab_size"),
                hidden,
                c.integer("intermediate_size"),
                layers,
                heads,
                c.integer("num_key_value_heads", heads),
                c.number("rms_norm_eps", 1e-6),
                c.number("rope_theta", 10000.0),
                c.bool("attention_bias", false),
                c.number("attention_dropout", 0.0),
                c.number("scale_emb", 1),
                c.number("scale_depth", 1),
                c.number("dim_model_base", 1),
                c.integer("start_layer", 8),
                c.bool("head_multi", true),
                c.integer("max_position_embeddings", 2048));
        for (String key : new String[] {"head_dim", "kv_channels"}) {
            Integer d = c.optionalInteger(key);
            c.check(d == null || d == config.headDim(), key + " " + d + " is not supported: MiniCPM's head_dim is hidden_size / "
                    + "num_attention_heads = " + config.headDim());
        }
        c.check(hidden % heads == 0, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        c.check(heads % config.numKeyValueHeads == 0, "num_attention_heads " + heads
                + " is not a multiple of num_key_value_heads " + config.numKeyValueHeads);
        c.check(config.headDim() % 2 == 0, "head_dim " + config.headDim() + " must be even for rotary embeddings");
        c.check(config.startLayer >= 0 && config.startLayer <= layers, "start_layer " + config.startLayer
                + " must be between 0 and num_hidden_layers " + layers);
        c.check(config.dimModelBase > 0, "dim_model_base " + config.dimModelBase + " must be positive");
        c.check(config.attentionDropout >= 0 && config.attentionDropout < 1, "attention_dropout " + config.attentionDropout
                + " must be in [0, 1)");
        return config;
    }
}
