package dev.winnow.gemma;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.UserException;
import dev.winnow.api.model.AnswerTokenIds;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.Linears;
import dev.winnow.nn.LoraTarget;
import dev.winnow.nn.Checkpointing;
import dev.winnow.nn.Ops;
import dev.winnow.nn.StateDict;
import dev.winnow.nn.kernels.Kernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Gemma 1 decoder as transformers' {@code modeling_gemma.py} defines it: token embeddings multiplied by
 * {@code sqrt(hidden_size)}, pre-norm blocks whose RMSNorm scales by {@code (1 + weight)}, rotary attention with
 * multi-query / grouped key-value heads and {@code head_dim} from the config, a GeGLU MLP
 * ({@code down(gelu_tanh(gate(x)) * up(x))}), a final norm and the output embedding tied to the input one.
 * Positions come from the attention mask, so left and right padding give the same scores.
 *
 * <p>As FlagEmbedding's decoder-only reranker (bge-reranker-v2-gemma) the score is the logit of the positive answer
 * token ({@code Yes}) at the last real token: one row of the output embedding times the final hidden state, never the
 * {@code [batch, length, vocab]} logits. The negative answer token is not read.
 */
public final class GemmaModel implements WinnowModel, LoraTarget {
    private static final double TANH_GELU_C = Math.sqrt(2 / Math.PI);

    private final GemmaConfig config;
    private final Map<String, Object> configJson;
    private final Map<String, NDArray> w = new LinkedHashMap<>();
    private final ParameterSet parameters = new ParameterSet();
    private final long yes;
    private final Kernels kernels;
    private final Linears lin;

    GemmaModel(GemmaConfig config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options, Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.kernels = Kernels.forModel(options);
        this.lin = new Linears(w, kernels);
        if (options.task() != Task.GENERATIVE_RERANKER) {
            throw new UserException("task '" + options.task().id() + "' is not available for a gemma model; valid: "
                    + Task.GENERATIVE_RERANKER.id());
        }
        AnswerTokenIds answers = options.requireAnswerTokens();
        this.yes = answers.positive();
        if (yes < 0 || yes >= config.vocabSize()) {
            throw new UserException(directory + ": answer token id " + yes + " is outside the vocabulary (" + config.vocabSize() + ")");
        }
        Map<String, NDArray> bound = StateDict.of(checkpoint, directory, "gemma")
                .required(GemmaWeights.names(config))
                .ignored(name -> config.tieWordEmbeddings() && name.equals("lm_head.weight"), "tied to the input embedding, so unused")
                .bind()
                .tensors();
        bound.forEach((name, array) -> {
            w.put(name, array);
            parameters.add(new Parameter(name, array, true, GemmaWeights.decays(name)));
        });
    }

    @Override
    public Linears linears() {
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
        return "gemma";
    }

    @Override
    public Task task() {
        return Task.GENERATIVE_RERANKER;
    }

    @Override
    public ParameterSet parameters() {
        return parameters;
    }

    @Override
    public @Nullable String pooling() {
        return null;
    }

    GemmaConfig config() {
        return config;
    }

    NDArray outputEmbedding() {
        return config.tieWordEmbeddings() ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
    }

    /** The logit of the positive answer token at each row's last real token, {@code [B]}. */
    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        NDArray last = Ops.lastTokenPool(hiddenStates(batch, training), batch.attentionMask());
        NDManager m = last.getManager();
        NDArray row = outputEmbedding().get(m.create(new long[] {yes})); // [1, H]
        return last.matMul(row.transpose()).squeeze(1);
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
        embedded = embedded.mul(m.create(Math.sqrt(config.hiddenSize())).toType(type, false)); // GemmaModel: normalizer = sqrt(hidden)
        NDArray positions = mask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(Scalars.of(0L)).toType(type, false);
        NDArray invFreq = m.arange(0, d, 2, DataType.FLOAT64).div(Scalars.of((double) d)).mul(Scalars.of(-Math.log(config.ropeTheta()))).exp().toType(type, false);
        NDArray freqs = positions.expandDims(2).mul(invFreq.reshape(1, 1, d / 2));
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2).expandDims(1); // [B, 1, L, d]
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        NDArray idx = m.arange(0f, (float) length);
        NDArray causal = idx.expandDims(0).lte(idx.expandDims(1));
        NDArray allowed = causal.expandDims(0).logicalAnd(mask.toType(DataType.BOOLEAN, false).expandDims(1)).expandDims(1);
        NDArray additive = allowed.logicalNot().toType(type, false).mul(Scalars.of(Ops.MASKED));
        NDArray last = Checkpointing.layers(config.numHiddenLayers(), embedded, training, (i, x0) -> {
            NDArray x = x0;
            String p = "model.layers." + i + ".";
            NDArray h = norm(x, p + "input_layernorm.weight");
            NDArray q = lin.apply(p + "self_attn.q_proj", h, training).reshape(b, length, heads, d).transpose(0, 2, 1, 3);
            NDArray k = lin.apply(p + "self_attn.k_proj", h, training).reshape(b, length, kvHeads, d).transpose(0, 2, 1, 3);
            NDArray v = lin.apply(p + "self_attn.v_proj", h, training).reshape(b, length, kvHeads, d).transpose(0, 2, 1, 3);
            q = kernels.applyRotary(q, cos, sin);
            k = kernels.applyRotary(k, cos, sin);
            // softmax(q k^T / sqrt(head_dim)): GemmaAttention's scaling is head_dim ** -0.5
            NDArray ctx = kernels.attention(q, k, v, additive, false, 0, training)
                    .transpose(0, 2, 1, 3).reshape(b, length, (long) heads * d);
            x = x.add(lin.apply(p + "self_attn.o_proj", ctx, training));
            h = norm(x, p + "post_attention_layernorm.weight");
            NDArray gate = gelu(lin.apply(p + "mlp.gate_proj", h, training));
            NDArray up = lin.apply(p + "mlp.up_proj", h, training);
            return x.add(lin.apply(p + "mlp.down_proj", gate.mul(up), training));
        });
        return norm(last, "model.norm.weight");
    }

    /** GemmaRMSNorm: x / sqrt(mean(x^2) + eps) * (1 + weight). */
    private NDArray norm(NDArray x, String weight) {
        return kernels.rmsNorm(x, w.get(weight).add(1f), config.rmsNormEps());
    }

    /** gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), or the exact GELU when configured. */
    private NDArray gelu(NDArray x) {
        if (config.exactGelu()) {
            return kernels.gelu(x);
        }
        // Ops's scalar ops: DJL's x.mul(0.5f) lets backward read a freed scalar (see Ops.scalar)
        NDArray inner = Ops.mul(x.add(Ops.mul(Ops.pow(x, 3f), 0.044715f)), (float) TANH_GELU_C);
        return Ops.mul(x.mul(inner.tanh().add(1f)), 0.5f);
    }

    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        c.put("architectures", List.of("GemmaForCausalLM"));
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
