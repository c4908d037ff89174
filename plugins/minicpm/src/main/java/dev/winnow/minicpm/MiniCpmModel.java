package dev.winnow.minicpm;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.LayerwiseModel;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.nn.Checkpointing;
import dev.winnow.nn.Linears;
import dev.winnow.nn.LoraTarget;
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
 * The MiniCPM decoder as FlagEmbedding's {@code modeling_minicpm_reranker.py} defines it, with its layerwise score
 * heads ({@code LayerWiseMiniCPMForCausalLM}, {@code head_type: simple}): token embeddings multiplied by
 * {@code scale_emb}; pre-norm blocks (RMSNorm {@code x / sqrt(mean(x^2) + eps) * weight}) whose attention and MLP
 * branches are added to the residual times {@code scale_depth / sqrt(num_hidden_layers)}; rotary attention with
 * grouped key-value heads and {@code head_dim = hidden / heads}; a SwiGLU MLP {@code down(silu(gate(x)) * up(x))}.
 *
 * <p>Layer {@code n}'s score is its head {@code Linear(hidden, 1)} applied to the final norm of the hidden state after
 * {@code n} decoder layers ({@code model.norm}, as LayerWiseMiniCPMModel normalises every returned hidden state), read
 * at the last real token. Positions come from the attention mask, so left and right padding give the same scores. The
 * layers run only up to the highest layer asked for.
 */
public final class MiniCpmModel implements LayerwiseModel, LoraTarget {
    private final MiniCpmConfig config;
    private final Map<String, Object> configJson;
    private final Map<String, NDArray> w;
    private final ParameterSet parameters;
    private final Kernels kernels;
    private final Linears lin;
    private final int cutoff;

    MiniCpmModel(MiniCpmConfig config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options,
            Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.w = new LinkedHashMap<>();
        this.parameters = new ParameterSet();
        this.kernels = Kernels.forModel(options);
        this.lin = new Linears(w, kernels);
        this.cutoff = config.numHiddenLayers();
        if (options.task() != Task.RERANKER) {
            throw new UserException("task '" + options.task().id() + "' is not available for a minicpm model; valid: "
                    + Task.RERANKER.id() + " (the layerwise score heads)");
        }
        Map<String, Shape> heads = new LinkedHashMap<>();
        MiniCpmWeights.heads(config).forEach((n, s) -> heads.put(n, new Shape(s)));
        long seed = options.seed();
        Map<String, NDArray> bound = StateDict.of(checkpoint, directory, "minicpm")
                .required(MiniCpmWeights.decoder(config))
                // a bare MiniCPM causal LM (openbmb/MiniCPM-2B) lacks the layerwise heads: they start as N(0, 0.02)
                .fresh(heads, "layerwise score head", (name, shape) -> checkpoint.values().iterator().next().getManager()
                        .create(Ops.normal(shape.size(), 0.02, seed + name.hashCode()), shape))
                .ignored(name -> name.equals("lm_head.weight"), "the causal LM's vocabulary head; layerwise scores read "
                        + "lm_head.{k}.linear_head")
                .bind()
                .tensors();
        bound.forEach((name, array) -> {
            w.put(name, array);
            parameters.add(new Parameter(name, array, true, MiniCpmWeights.decays(name)));
        });
    }

    /** The same weights, adapters and kernels, scoring at {@code cutoff}. */
    private MiniCpmModel(MiniCpmModel base, int cutoff) {
        this.config = base.config;
        this.configJson = base.configJson;
        this.w = base.w;
        this.parameters = base.parameters;
        this.kernels = base.kernels;
        this.lin = base.lin;
        this.cutoff = cutoff;
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

    /**
     * None: with LoRA the score heads stay frozen, as in FlagEmbedding's layerwise example (LoRA on the projections,
     * no {@code modules_to_save}); full fine-tuning trains them.
     */
    @Override
    public List<String> headModules() {
        return List.of();
    }

    @Override
    public String architecture() {
        return "minicpm";
    }

    @Override
    public Task task() {
        return Task.RERANKER;
    }

    @Override
    public ParameterSet parameters() {
        return parameters;
    }

    @Override
    public @Nullable String pooling() {
        return null;
    }

    MiniCpmConfig config() {
        return config;
    }

    @Override
    public List<Integer> scoreLayers() {
        return config.scoreLayers();
    }

    @Override
    public int cutoffLayer() {
        return cutoff;
    }

    @Override
    public MiniCpmModel atLayer(int layer) {
        requireHead(layer);
        return layer == cutoff ? this : new MiniCpmModel(this, layer);
    }

    private void requireHead(int layer) {
        if (layer < config.startLayer() || layer > config.numHiddenLayers()) {
            throw new UserException("cutoff layer " + layer + " has no score head; this model's heads read layers "
                    + config.startLayer() + " to " + config.numHiddenLayers() + " (start_layer to num_hidden_layers)");
        }
    }

    /** The score at the cutoff layer's head, {@code [B]}. */
    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        return forwardLayers(batch, List.of(cutoff), training).get(0);
    }

    @Override
    public NDArray forwardLayers(TokenBatch batch, List<Integer> layers, boolean training) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers asked for");
        }
        for (int i = 0; i < layers.size(); i++) {
            requireHead(layers.get(i));
            if (i > 0 && layers.get(i) <= layers.get(i - 1)) {
                throw new IllegalArgumentException("layers must be ascending and distinct: " + layers);
            }
        }
        NDArray mask = batch.attentionMask();
        List<NDArray> scores = new ArrayList<>();
        hiddenStates(batch, layers, training, (layer, hidden) -> {
            NDArray last = Ops.lastTokenPool(hidden, mask); // [B, H]
            scores.add(last.matMul(w.get(MiniCpmWeights.head(config, layer)).transpose()).squeeze(1));
        });
        return NDArrays.stack(new NDList(scores.toArray(NDArray[]::new)), 0);
    }

    /** Receives the final-norm hidden states {@code [B, L, H]} after a layer. */
    @FunctionalInterface
    interface LayerOutput {
        void accept(int layer, NDArray normed);
    }

    /** Runs the decoder up to the highest of {@code layers}, handing each one's final-norm hidden states to {@code out}. */
    void hiddenStates(TokenBatch batch, List<Integer> layers, boolean training, LayerOutput out) {
        NDArray ids = batch.inputIds();
        NDArray mask = batch.attentionMask();
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        long length = ids.getShape().get(1);
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray x = Ops.embedding(ids, w.get("model.embed_tokens.weight"));
        DataType type = x.getDataType();
        x = x.mul(m.create(config.scaleEmb()).toType(type, false)); // LayerWiseMiniCPMModel: embed_tokens(ids) * scale_emb
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
        NDArray residual = m.create(config.residualScale()).toType(type, false);
        int done = 0;
        for (int target : layers) {
            int offset = done;
            // the layers between two heads run as one checkpointed stretch; its output is what the head reads
            x = Checkpointing.layers(target - done, x, training, (i, h) -> layer(offset + i, h, b, length, heads, kvHeads, d,
                    cos, sin, additive, residual, training));
            done = target;
            out.accept(target, norm(x, "model.norm.weight"));
        }
    }

    private NDArray layer(int i, NDArray x0, long b, long length, int heads, int kvHeads, int d, NDArray cos, NDArray sin,
            NDArray additive, NDArray residual, boolean training) {
        NDArray x = x0;
        String p = "model.layers." + i + ".";
        NDArray h = norm(x, p + "input_layernorm.weight");
        NDArray q = lin.apply(p + "self_attn.q_proj", h, training).reshape(b, length, heads, d).transpose(0, 2, 1, 3);
        NDArray k = lin.apply(p + "self_attn.k_proj", h, training).reshape(b, length, kvHeads, d).transpose(0, 2, 1, 3);
        NDArray v = lin.apply(p + "self_attn.v_proj", h, training).reshape(b, length, kvHeads, d).transpose(0, 2, 1, 3);
        q = kernels.applyRotary(q, cos, sin);
        k = kernels.applyRotary(k, cos, sin);
        // softmax(q k^T / sqrt(head_dim)), dropout attention_dropout in training (MiniCPMAttention)
        NDArray ctx = kernels.attention(q, k, v, additive, false, config.attentionDropout(), training)
                .transpose(0, 2, 1, 3).reshape(b, length, (long) heads * d);
        x = x.add(lin.apply(p + "self_attn.o_proj", ctx, training).mul(residual));
        h = norm(x, p + "post_attention_layernorm.weight");
        NDArray gate = lin.apply(p + "mlp.gate_proj", h, training);
        NDArray up = lin.apply(p + "mlp.up_proj", h, training);
        return x.add(lin.apply(p + "mlp.down_proj", kernels.swiglu(gate, up), training).mul(residual));
    }

    /** MiniCPMRMSNorm: x / sqrt(mean(x^2) + eps) * weight. */
    private NDArray norm(NDArray x, String weight) {
        return kernels.rmsNorm(x, w.get(weight), config.rmsNormEps());
    }

    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        c.put("architectures", List.of("LayerWiseMiniCPMForCausalLM"));
        c.put("start_layer", config.startLayer());
        c.put("head_multi", config.headMulti());
        c.put("head_type", "simple");
        return c;
    }

    @Override
    public double forwardFlops(long batch, long length) {
        double h = config.hiddenSize();
        double kv = (double) config.numKeyValueHeads() * config.headDim();
        double perToken = 2 * h * (h + 2 * kv) + 2 * h * h + 6 * h * config.intermediateSize() + 4 * length * h;
        return batch * length * perToken * cutoff;
    }

    @Override
    public void close() {
        // weights belong to the manager the model was created with
    }
}
