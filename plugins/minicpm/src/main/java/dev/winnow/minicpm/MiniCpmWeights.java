package dev.winnow.minicpm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight-name table: the names and shapes of every LayerWiseMiniCPMForCausalLM tensor as the checkpoint stores
 * them. The score heads are {@code lm_head.{k}.linear_head.weight} ({@code [1, hidden]}) for layer
 * {@code start_layer + k} with {@code head_multi}, else one shared {@code lm_head.linear_head.weight}.
 */
final class MiniCpmWeights {
    private MiniCpmWeights() {}

    static List<String> decoder(MiniCpmConfig c) {
        List<String> names = new ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                names.add(p + "self_attn." + proj + ".weight");
                if (c.attentionBias()) { // MiniCPMAttention: q, k, v and o all take attention_bias
                    names.add(p + "self_attn." + proj + ".bias");
                }
            }
            names.add(p + "input_layernorm.weight");
            names.add(p + "post_attention_layernorm.weight");
            for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
                names.add(p + "mlp." + proj + ".weight");
            }
        }
        names.add("model.norm.weight");
        return names;
    }

    /** The score head that reads layer {@code layer}. */
    static String head(MiniCpmConfig c, int layer) {
        return c.headMulti() ? "lm_head." + (layer - c.startLayer()) + ".linear_head.weight" : "lm_head.linear_head.weight";
    }

    /** Every score head with its shape {@code [1, hidden]}, in layer order. */
    static Map<String, long[]> heads(MiniCpmConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int layer : c.scoreLayers()) {
            out.put(head(c, layer), new long[] {1, c.hiddenSize()});
        }
        return out;
    }

    /** Weight decay applies to matrices and embeddings, not to RMSNorm weights or biases. */
    static boolean decays(String name) {
        return !name.endsWith("norm.weight") && !name.endsWith(".bias");
    }

    static long[] shape(MiniCpmConfig c, String name) {
        long h = c.hiddenSize();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long f = c.intermediateSize();
        if (name.startsWith("lm_head.")) {
            return new long[] {1, h};
        }
        if (name.equals("model.embed_tokens.weight")) {
            return new long[] {c.vocabSize(), h};
        }
        if (name.endsWith("q_proj.weight") || name.endsWith("o_proj.weight")) {
            return new long[] {h, h};
        }
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) {
            return new long[] {kv, h};
        }
        if (name.endsWith("k_proj.bias") || name.endsWith("v_proj.bias")) {
            return new long[] {kv};
        }
        if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) {
            return new long[] {f, h};
        }
        if (name.endsWith("down_proj.weight")) {
            return new long[] {h, f};
        }
        return new long[] {h}; // norms, q_proj.bias and o_proj.bias
    }
}
