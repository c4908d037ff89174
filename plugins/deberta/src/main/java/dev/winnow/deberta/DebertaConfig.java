package dev.winnow.deberta;

import dev.winnow.nn.HfConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fields of a DeBERTa-v2/v3 {@code config.json} (transformers' {@code DebertaV2Config}) that the model reads:
 * every key of microsoft/deberta-v3-base's config is read here or refused by name when its value is not implemented.
 * Keys that change nothing in this implementation ({@code torch_dtype}, {@code transformers_version}, label maps) are
 * ignored.
 *
 * @param attentionSpan the relative-position span of the embeddings table ({@code position_buckets} when bucketed, else
 *     {@code max_relative_positions}); the table has {@code 2 * attentionSpan} rows and indices are clamped to it
 * @param maxRelativePositions {@code max_relative_positions}, or {@code max_position_embeddings} when it is below 1
 * @param normRelEmbedding whether {@code norm_rel_ebd} contains {@code layer_norm} (the relative embeddings go
 *     through {@code encoder.LayerNorm})
 * @param clsDropout the dropout before the classifier ({@code cls_dropout}, else {@code hidden_dropout_prob})
 * @param poolingMethod an exported mean-pooling reranker's {@code pooling_method} (open-retrievals' name), else null
 */
public record DebertaConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        int typeVocabSize,
        boolean positionBiasedInput,
        int positionBuckets,
        int maxRelativePositions,
        int attentionSpan,
        boolean shareAttKey,
        boolean normRelEmbedding,
        double layerNormEps,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        double poolerDropout,
        double clsDropout,
        int padTokenId,
        double initializerRange,
        @Nullable String poolingMethod) {

    public static DebertaConfig parse(Map<String, Object> json, Path file) {
        HfConfig c = HfConfig.of(json, file);
        String type = c.string("model_type", "deberta-v2");
        c.check(type.equals("deberta-v2"), "model_type '" + type + "' is not deberta-v2 (DeBERTa-v2 and v3 checkpoints use "
                + "deberta-v2; DeBERTa v1 is not implemented)");
        c.oneOf("hidden_act", "gelu", "gelu");
        c.oneOf("pooler_hidden_act", "gelu", "gelu");
        c.check(c.bool("relative_attention", false), "relative_attention false is not supported: only DeBERTa's "
                + "disentangled relative attention (relative_attention: true, as every published v2/v3 model) is implemented");
        int conv = c.integer("conv_kernel_size", 0);
        c.check(conv <= 0, "conv_kernel_size " + conv + " is not supported: the DeBERTa-v2 convolution layer (ConvLayer) is "
                + "not implemented (DeBERTa-v3 models do not use it)");
        List<String> terms = attentionTypes(c);
        c.check(terms.contains("c2p") && terms.contains("p2c") && terms.size() == 2, "pos_att_type " + c.json().get("pos_att_type")
                + " is not supported: only both terms, c2p and p2c (as every published DeBERTa-v2/v3 model), are implemented");
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        c.check(heads > 0 && hidden % heads == 0, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        Integer headSize = c.optionalInteger("attention_head_size");
        c.check(headSize == null || headSize == hidden / heads, "attention_head_size " + headSize + " is not supported: only "
                + "hidden_size / num_attention_heads (" + hidden / heads + ") is implemented");
        Integer embeddingSize = c.optionalInteger("embedding_size");
        c.check(embeddingSize == null || embeddingSize == hidden, "embedding_size " + embeddingSize + " is not supported: only "
                + "embeddings of hidden_size (" + hidden + "), without embed_proj, are implemented");
        Integer poolerSize = c.optionalInteger("pooler_hidden_size");
        c.check(poolerSize == null || poolerSize == hidden, "pooler_hidden_size " + poolerSize + " is not hidden_size " + hidden
                + ", which ContextPooler's output (the classifier's input) must be");
        boolean normRel = false;
        for (String part : c.string("norm_rel_ebd", "none").toLowerCase(java.util.Locale.ROOT).split("\\|")) {
            String p = part.strip();
            c.check(p.equals("none") || p.equals("layer_norm"), "norm_rel_ebd '" + c.json().get("norm_rel_ebd")
                    + "' is not supported; supported: none, layer_norm");
            normRel |= p.equals("layer_norm");
        }
        int maxPositions = c.integer("max_position_embeddings", 512);
        int maxRel = c.integer("max_relative_positions", -1);
        if (maxRel < 1) {
            maxRel = maxPositions;
        }
        int buckets = c.integer("position_buckets", -1);
        int span = buckets > 0 ? buckets : maxRel;
        c.check(buckets <= 0 || buckets >= 4 && buckets % 2 == 0 && maxRel > buckets / 2, "position_buckets " + buckets
                + " with max_relative_positions " + maxRel + " does not define log buckets (needs an even bucket count >= 4 "
                + "and max_relative_positions > position_buckets / 2)");
        double hiddenDropout = c.number("hidden_dropout_prob", 0.1);
        String pooling = c.has("pooling_method") ? c.oneOf("pooling_method", "mean", "mean", "cls") : null;
        return new DebertaConfig(
                c.integer("vocab_size"),
                hidden,
                c.integer("num_hidden_layers"),
                heads,
                c.integer("intermediate_size"),
                maxPositions,
                c.integer("type_vocab_size", 0),
                c.bool("position_biased_input", true),
                buckets,
                maxRel,
                span,
                c.bool("share_att_key", false),
                normRel,
                c.number("layer_norm_eps", 1e-7),
                hiddenDropout,
                c.number("attention_probs_dropout_prob", 0.1),
                c.number("pooler_dropout", 0.0),
                c.number("cls_dropout", hiddenDropout),
                c.integer("pad_token_id", 0),
                c.number("initializer_range", 0.02),
                pooling);
    }

    /** {@code pos_att_type} as DebertaV2Config reads it: a list, or a string of terms separated by {@code |}. */
    private static List<String> attentionTypes(HfConfig c) {
        Object raw = c.json().get("pos_att_type");
        List<String> out = new ArrayList<>();
        if (raw instanceof String s) {
            for (String p : s.toLowerCase(java.util.Locale.ROOT).split("\\|")) {
                if (!p.isBlank()) {
                    out.add(p.strip());
                }
            }
        } else if (raw instanceof List<?> l) {
            for (Object o : l) {
                out.add(String.valueOf(o).strip().toLowerCase(java.util.Locale.ROOT));
            }
        } else if (raw != null) {
            throw c.error("'pos_att_type' must be a list or a string such as \"p2c|c2p\", found " + raw);
        }
        return out;
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** The attention scale's factor: 1 + the number of relative terms (c2p and p2c), so 3. */
    public int scaleFactor() {
        return 3;
    }

    /**
     * The bucketed relative position of query {@code i} to key {@code j} ({@code build_relative_position}:
     * {@code i - j}, through {@code make_log_bucket_position} when {@code position_buckets > 0}), computed in float32
     * as torch computes it.
     */
    public long relativePosition(long relative) {
        if (positionBuckets <= 0) {
            return relative;
        }
        int mid = positionBuckets / 2;
        long abs = relative < mid && relative > -mid ? mid - 1 : Math.abs(relative);
        if (abs <= mid) {
            return relative;
        }
        float ratio = (float) abs / (float) mid;
        float denominator = (float) Math.log((float) ((maxRelativePositions - 1) / (double) mid));
        float logPos = (float) Math.ceil(((float) Math.log(ratio) / denominator) * (float) (mid - 1)) + (float) mid;
        return (long) (logPos * Math.signum((float) relative));
    }
}
