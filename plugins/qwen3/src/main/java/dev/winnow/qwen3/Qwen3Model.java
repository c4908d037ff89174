package dev.winnow.qwen3;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.AnswerTokenIds;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.kernels.Kernels;
import dev.winnow.nn.Checkpointing;
import dev.winnow.nn.kernels.LayerProgram;
import dev.winnow.nn.kernels.TorchScriptKernels;
import dev.winnow.nn.Ops;
import dev.winnow.nn.StateDict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Qwen3 decoder: token embeddings, pre-norm blocks with RMSNorm, attention with per-head q/k RMSNorm, rotary
 * position embeddings and grouped-query attention, a SwiGLU MLP, a final norm. Positions come from the attention
 * mask (so left padding is invariant) and the causal mask is combined with the padding mask.
 *
 * <p>As a generative reranker it never builds {@code [batch, length, vocab]} logits: the last real token's
 * hidden state is multiplied by the two output-embedding rows of the answer tokens, and the score is
 * {@code logit(yes) - logit(no)}, whose sigmoid equals the softmax over {@code [no, yes]}. As an embedding
 * model it pools the last real token.
 */
public final class Qwen3Model implements WinnowModel, dev.winnow.nn.LoraTarget {
    private final Qwen3Config config;
    private final Map<String, Object> configJson;
    private final ModelOptions options;
    private final Map<String, NDArray> w = new LinkedHashMap<>();
    private final ParameterSet parameters = new ParameterSet();
    private final long yes;
    private final long no;
    /** RMSNorm, rotary embedding, attention, SwiGLU and every linear product run through these. */
    private final Kernels kernels;
    private final dev.winnow.nn.Linears lin;
    /** The fused inference layer, used when the kernels are TorchScript ones. */
    private final LayerProgram fusedProgram;

    Qwen3Model(Qwen3Config config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options, Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.options = options;
        this.kernels = Kernels.forModel(options);
        this.lin = new dev.winnow.nn.Linears(w, kernels);
        this.fusedProgram = fusedProgram(config, kernels.precision());
        if (options.task() == Task.EMBEDDING && options.pooling() != null && !options.pooling().equals("last")) {
            throw new UserException("model.pooling '" + options.pooling() + "' is not valid for a Qwen3 embedding model: a "
                    + "causal decoder pools its last token; valid: last");
        }
        // only the reranker head reads the answer rows; an embedding model needs no answer tokens
        if (options.task() == Task.GENERATIVE_RERANKER) {
            AnswerTokenIds answers = options.requireAnswerTokens();
            this.yes = answers.positive();
            this.no = answers.negative();
            if (yes < 0 || no < 0 || yes >= config.vocabSize() || no >= config.vocabSize()) {
                throw new UserException(directory + ": answer token ids " + yes + "/" + no + " are outside the vocabulary ("
                        + config.vocabSize() + ")");
            }
        } else {
            this.yes = -1;
            this.no = -1;
        }
        // Qwen3-Embedding checkpoints are saved from the bare Qwen3Model: the same tensors without "model."
        boolean bare = checkpoint.containsKey("embed_tokens.weight") && !checkpoint.containsKey("model.embed_tokens.weight");
        List<String> names = Qwen3Weights.names(config);
        List<String> optional = new ArrayList<>();
        if (options.task() == Task.EMBEDDING && names.remove("lm_head.weight")) {
            optional.add("lm_head.weight"); // an embedding model never reads the output embedding (Qwen3-Embedding-8B ships none)
        }
        Map<String, NDArray> bound = StateDict.of(checkpoint, directory, "qwen3")
                .renamed(name -> bare && !name.startsWith("lm_head.") ? "model." + name : name)
                .required(names)
                .optional(optional)
                .ignored(name -> config.tieWordEmbeddings() && name.equals("lm_head.weight"), "tied to the input embedding, so unused")
                .bind()
                .tensors();
        bound.forEach((name, array) -> {
            w.put(name, array);
            parameters.add(new Parameter(name, array, true, Qwen3Weights.decays(name)));
        });
    }

    @Override
    public dev.winnow.nn.Linears linears() {
        return lin;
    }

    @Override
    public List<String> linearModules() {
        List<String> out = new ArrayList<>();
        for (String name : w.keySet()) {
            if (name.startsWith("model.layers.") && name.endsWith("_proj.weight")) {
                out.add(name.substring(0, name.length() - ".weight".length()));
            }
        }
        return out;
    }

    @Override
    public List<String> headModules() {
        return List.of();
    }

    @Override
    public String architecture() {
        return "qwen3";
    }

    @Override
    public Task task() {
        return options.task();
    }

    @Override
    public ParameterSet parameters() {
        return parameters;
    }

    @Override
    public @org.jspecify.annotations.Nullable String pooling() {
        return options.task() == Task.EMBEDDING ? "last" : null;
    }

    NDArray outputEmbedding() {
        return config.tieWordEmbeddings() ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
    }

    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        NDArray hidden = hiddenStates(batch, training);
        NDArray last = Ops.lastTokenPool(hidden, batch.attentionMask());
        if (options.task() == Task.GENERATIVE_RERANKER) {
            NDManager m = last.getManager();
            NDArray rows = outputEmbedding().get(m.create(new long[] {yes, no}));
            NDArray direction = rows.get(0).sub(rows.get(1));
            return last.matMul(direction.expandDims(1)).squeeze(1);
        }
        return options.normalize() ? last.normalize(2, 1, 1e-12) : last;
    }

    /** Final-norm hidden states {@code [B, L, H]}, in inference mode. */
    public NDArray hiddenStates(TokenBatch batch) {
        return hiddenStates(batch, false);
    }

    /** Final-norm hidden states {@code [B, L, H]}. */
    public NDArray hiddenStates(TokenBatch batch, boolean training) {
        NDArray ids = batch.inputIds();
        NDArray mask = batch.attentionMask();
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        long length = ids.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray embedded = Ops.embedding(ids, w.get("model.embed_tokens.weight"));
        DataType type = embedded.getDataType();
        // positions counted over real tokens, as transformers derives them for left padding
        NDArray positions = mask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(Scalars.of(0L)).toType(type, false);
        Yarn yarn = config.yarn();
        NDArray invFreq = yarn != null ? m.create(yarn.inverseFrequencies(config.ropeTheta(), d)).toType(type, false)
                : m.arange(0, d, 2, DataType.FLOAT64).div(Scalars.of((double) d)).mul(Scalars.of(-Math.log(ropeBase(mask, d)))).exp().toType(type, false);
        NDArray freqs = positions.div(Scalars.of((float) config.ropeLinearFactor())).expandDims(2).mul(invFreq.reshape(1, 1, d / 2));
        NDArray emb = NDArrays.concat(new ai.djl.ndarray.NDList(freqs, freqs), 2).expandDims(1); // [B, 1, L, d]
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (yarn != null && yarn.attentionFactor() != 1.0) {
            cos = cos.mul(Scalars.of((float) yarn.attentionFactor()));
            sin = sin.mul(Scalars.of((float) yarn.attentionFactor()));
        }
        // causal and padding: query i sees key j when j <= i and j is a real token
        NDArray idx = m.arange(0f, (float) length);
        NDArray causal = idx.expandDims(0).lte(idx.expandDims(1)); // [L, L]: [i][j] = j <= i
        NDArray allowed = causal.expandDims(0).logicalAnd(mask.toType(DataType.BOOLEAN, false).expandDims(1)).expandDims(1);
        NDArray additive = allowed.logicalNot().toType(type, false).mul(Scalars.of(Ops.MASKED));
        NDArray rotCos = cos;
        NDArray rotSin = sin;
        // inference on TorchScript kernels (no LoRA adapter, no projection bias): each layer is one fused module call
        boolean fused = !training && kernels instanceof TorchScriptKernels && lin.adapters().isEmpty()
                && lin.bias("model.layers.0.self_attn.q_proj") == null;
        NDArray last = Checkpointing.layers(config.numHiddenLayers(), embedded, training,
                (i, x) -> fused ? fusedLayer(i, x, additive, rotCos, rotSin) : layer(i, x, additive, rotCos, rotSin, b, length, training));
        return kernels.rmsNorm(last, w.get("model.norm.weight"), config.rmsNormEps());
    }

    /** One decoder layer, op by op through the kernels (the composed reference, and the training path). */
    private NDArray layer(int i, NDArray x, NDArray additive, NDArray cos, NDArray sin, long b, long length, boolean training) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        String p = "model.layers." + i + ".";
        NDArray h = kernels.rmsNorm(x, w.get(p + "input_layernorm.weight"), config.rmsNormEps());
        NDArray q = lin.apply(p + "self_attn.q_proj", h, training).reshape(b, length, heads, d);
        NDArray k = lin.apply(p + "self_attn.k_proj", h, training).reshape(b, length, kvHeads, d);
        NDArray v = lin.apply(p + "self_attn.v_proj", h, training).reshape(b, length, kvHeads, d);
        q = kernels.rmsNorm(q, w.get(p + "self_attn.q_norm.weight"), config.rmsNormEps()).transpose(0, 2, 1, 3);
        k = kernels.rmsNorm(k, w.get(p + "self_attn.k_norm.weight"), config.rmsNormEps()).transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        q = kernels.applyRotary(q, cos, sin);
        k = kernels.applyRotary(k, cos, sin);
        // grouped-query attention: the kernel maps query head h to key/value head h / (heads / kvHeads)
        NDArray ctx = kernels.attention(q, k, v, additive, false, 0, training)
                .transpose(0, 2, 1, 3).reshape(b, length, (long) heads * d);
        x = x.add(lin.apply(p + "self_attn.o_proj", ctx, training));
        h = kernels.rmsNorm(x, w.get(p + "post_attention_layernorm.weight"), config.rmsNormEps());
        NDArray gate = lin.apply(p + "mlp.gate_proj", h, training);
        NDArray up = lin.apply(p + "mlp.up_proj", h, training);
        return x.add(lin.apply(p + "mlp.down_proj", kernels.swiglu(gate, up), training));
    }

    /** One decoder layer as a single TorchScript module call (inference). */
    private NDArray fusedLayer(int i, NDArray x, NDArray additive, NDArray cos, NDArray sin) {
        String p = "model.layers." + i + ".";
        NDArray[] in = new NDArray[4 + FUSED_WEIGHTS.size()];
        in[0] = x;
        in[1] = additive;
        in[2] = cos;
        in[3] = sin;
        for (int j = 0; j < FUSED_WEIGHTS.size(); j++) {
            in[4 + j] = w.get(p + FUSED_WEIGHTS.get(j));
        }
        return fusedProgram.run("y", in);
    }

    /** The per-layer weights the fused module takes, in its parameter order. */
    private static final List<String> FUSED_WEIGHTS = List.of("input_layernorm.weight", "self_attn.q_proj.weight",
            "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.q_norm.weight", "self_attn.k_norm.weight",
            "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
            "mlp.down_proj.weight");

    /**
     * A Qwen3 decoder layer in TorchScript: RMSNorm, Q/K/V products, per-head q/k RMSNorm, rotary, grouped-query SDPA
     * with the additive causal+padding mask, output product and residual, RMSNorm, SwiGLU MLP and residual, all in the
     * compute precision from the layer's entry to its exit.
     */
    static LayerProgram fusedProgram(Qwen3Config config, dev.winnow.api.model.Precision precision) {
        LayerProgram g = LayerProgram.of(precision);
        g.params("x", "m", "cs", "sn", "gi", "wq", "wk", "wv", "gq", "gk", "wo", "gp", "wg", "wu", "wd");
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        String hidden = Integer.toString(config.hiddenSize());
        String eps = LayerProgram.literal(config.rmsNormEps());
        g.line("h0 = " + g.compute("x"));
        g.line("mm = " + g.computeMask("m"));
        g.line("c = " + g.compute("cs"));
        g.line("s = " + g.compute("sn"));
        g.line("nb = torch.size(x, 0)");
        g.line("nl = torch.size(x, 1)");
        g.line("a0 = torch.rms_norm(h0, [" + hidden + "], " + g.compute("gi") + ", " + eps + ")");
        g.line("q0 = torch.view(torch.linear(a0, " + g.compute("wq") + "), [nb, nl, " + heads + ", " + d + "])");
        g.line("k0 = torch.view(torch.linear(a0, " + g.compute("wk") + "), [nb, nl, " + kvHeads + ", " + d + "])");
        g.line("v0 = torch.view(torch.linear(a0, " + g.compute("wv") + "), [nb, nl, " + kvHeads + ", " + d + "])");
        g.line("q1 = torch.transpose(torch.rms_norm(q0, [" + d + "], " + g.compute("gq") + ", " + eps + "), 1, 2)");
        g.line("k1 = torch.transpose(torch.rms_norm(k0, [" + d + "], " + g.compute("gk") + ", " + eps + "), 1, 2)");
        g.line("v1 = torch.transpose(v0, 1, 2)");
        for (String t : List.of("q", "k")) {
            g.line(t + "h = torch.chunk(" + t + "1, 2, -1)");
            g.line(t + "2 = torch.add(torch.mul(" + t + "1, c), torch.mul(torch.cat([torch.neg(" + t + "h[1]), " + t + "h[0]], -1), s))");
        }
        String k = "k2";
        String v = "v1";
        if (heads != kvHeads) {
            // explicit head repeat, as TorchScriptKernels.attention (SDPA's enable_gqa gave wrong gradients in 2.7.1)
            g.line("k3 = torch.repeat_interleave(k2, " + heads / kvHeads + ", 1)");
            g.line("v3 = torch.repeat_interleave(v1, " + heads / kvHeads + ", 1)");
            k = "k3";
            v = "v3";
        }
        g.line("o0 = torch.scaled_dot_product_attention(q2, " + k + ", " + v + ", mm, 0.0, False)");
        g.line("o1 = torch.reshape(torch.transpose(o0, 1, 2), [nb, nl, " + (long) heads * d + "])");
        g.line("h1 = torch.add(h0, torch.linear(o1, " + g.compute("wo") + "))");
        g.line("a1 = torch.rms_norm(h1, [" + hidden + "], " + g.compute("gp") + ", " + eps + ")");
        g.line("f0 = torch.mul(torch.silu(torch.linear(a1, " + g.compute("wg") + ")), torch.linear(a1, " + g.compute("wu") + "))");
        g.line("h2 = torch.add(h1, torch.linear(f0, " + g.compute("wd") + "))");
        g.line("y = " + g.float32("h2"));
        return g;
    }

    /**
     * The rotary base: {@code rope_theta}, or with dynamic NTK scaling past {@code max_position_embeddings} real tokens
     * {@code theta * (factor * n / max - (factor - 1))^(d / (d - 2))}, n the longest row's real length, as transformers.
     */
    private double ropeBase(NDArray mask, int d) {
        double factor = config.ropeDynamicFactor();
        if (factor == 1.0) {
            return config.ropeTheta();
        }
        long n = mask.toType(DataType.INT64, false).sum(new int[] {1}).max().getLong();
        int max = config.maxPositionEmbeddings();
        if (n <= max) {
            return config.ropeTheta();
        }
        return config.ropeTheta() * Math.pow(factor * n / max - (factor - 1), d / (d - 2.0));
    }

    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        c.put("architectures", List.of("Qwen3ForCausalLM"));
        return c;
    }

    @Override
    public double forwardFlops(long batch, long length) {
        double h = config.hiddenSize();
        double q = (double) config.numAttentionHeads() * config.headDim();
        double kv = (double) config.numKeyValueHeads() * config.headDim();
        double perToken = 2 * h * (q + 2 * kv) + 2 * q * h + 6 * h * config.intermediateSize() + 4 * length * q;
        return batch * length * perToken * config.numHiddenLayers();
    }

    @Override
    public void close() {
        // weights belong to the manager the model was created with
    }
}
