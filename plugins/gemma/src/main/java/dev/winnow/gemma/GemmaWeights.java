package dev.winnow.gemma;

import java.util.ArrayList;
import java.util.List;

/** The weight-name table: Hugging Face names and shapes of every GemmaForCausalLM tensor. */
final class GemmaWeights {
    private GemmaWeights() {}

    static List<String> names(GemmaConfig c) {
        List<String> names = new ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                names.add(p + "self_attn." + proj + ".weight");
                if (c.attentionBias()) { // GemmaAttention: q, k, v and o all take attention_bias
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
        if (!c.tieWordEmbeddings()) {
            names.add("lm_head.weight");
        }
        return names;
    }

    /** Weight decay applies to matrices and embeddings, not to RMSNorm weights or biases. */
    static boolean decays(String name) {
        return !name.endsWith("norm.weight") && !name.endsWith(".bias");
    }

    static long[] shape(GemmaConfig c, String name) {
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) {
            return new long[] {c.vocabSize(), h};
        }
        if (name.endsWith("q_proj.weight")) {
            return new long[] {q, h};
        }
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) {
            return new long[] {kv, h};
        }
        if (name.endsWith("q_proj.bias")) {
            return new long[] {q};
        }
        if (name.endsWith("k_proj.bias") || name.endsWith("v_proj.bias")) {
            return new long[] {kv};
        }
        if (name.endsWith("o_proj.weight")) {
            return new long[] {h, q};
        }
        if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) {
            return new long[] {c.intermediateSize(), h};
        }
        if (name.endsWith("down_proj.weight")) {
            return new long[] {h, c.intermediateSize()};
        }
        return new long[] {h}; // norms and o_proj.bias
    }
}
