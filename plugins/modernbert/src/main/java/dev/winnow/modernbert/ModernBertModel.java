package dev.winnow.modernbert;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.Checkpointing;
import dev.winnow.nn.Linears;
import dev.winnow.nn.LoraTarget;
import dev.winnow.nn.Ops;
import dev.winnow.nn.StateDict;
import dev.winnow.nn.kernels.Kernels;
import dev.winnow.nn.kernels.LayerProgram;
import dev.winnow.nn.kernels.TorchScriptKernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * ModernBERT as transformers' {@code modeling_modernbert.py} defines it: token embeddings and LayerNorm (no position
 * table); pre-norm layers (layer 0's attention norm is the identity) with a fused {@code Wqkv} projection, rotary
 * embeddings of base {@code global_rope_theta} on the global layers ({@code i % global_attn_every_n_layers == 0}) and
 * {@code local_rope_theta} on the others, which attend within a sliding window ({@code |i - j| <= local_attention / 2},
 * an additive mask combined with the padding mask); a GeGLU MLP ({@code Wi} to twice the intermediate size, chunked
 * into input and gate, {@code act(input) * gate}, {@code Wo}); a final LayerNorm. LayerNorms and linears have biases
 * only where the config says so.
 *
 * <p>As a {@link Task#RERANKER} it is {@code ModernBertForSequenceClassification}: cls or mean pooling per
 * {@code classifier_pooling}, the prediction head (dense, activation, norm), dropout, classifier. As an
 * {@link Task#EMBEDDING} model it pools the final hidden states (cls by default, as gte-modernbert-base; or mean) and
 * L2-normalises. Rotary positions count real tokens, and cls pooling reads the first real token, so that a batch padded
 * on either side equals each input alone.
 */
public final class ModernBertModel implements WinnowModel, LoraTarget {
    private final ModernBertConfig config;
    private final Map<String, Object> configJson;
    private final ModelOptions options;
    /** Encoder (and head) weights by their unprefixed names. */
    private final Map<String, NDArray> w;
    private final ParameterSet parameters = new ParameterSet();
    private final String pooling;
    private final Kernels kernels;
    private final Linears lin;
    /** The zero bias of a LayerNorm without one (norm_bias false); a constant, not a parameter. */
    private final NDArray zeroBias;
    /** Fused inference layers on TorchScript kernels: layer 0 (no attention norm) and the others. */
    private final LayerProgram firstProgram;
    private final LayerProgram laterProgram;

    ModernBertModel(ModernBertConfig config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options,
            NDManager manager, Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.options = options;
        this.pooling = options.pooling() == null ? "cls" : options.pooling();
        if (options.task() == Task.EMBEDDING && !List.of("cls", "mean").contains(pooling)) {
            throw new UserException("model.pooling '" + pooling + "' is not valid for ModernBERT; valid: cls, mean");
        }
        if (options.task() == Task.GENERATIVE_RERANKER) {
            throw new UserException("ModernBERT is an encoder: task " + options.task().id() + " is not available; use reranker or embedding");
        }
        this.w = bind(checkpoint, manager, directory);
        this.kernels = Kernels.forModel(options);
        this.lin = new Linears(w, kernels);
        NDArray embedding = w.get("embeddings.tok_embeddings.weight");
        this.zeroBias = manager.zeros(new Shape(config.hiddenSize()), embedding.getDataType());
        this.firstProgram = fusedProgram(config, kernels.precision(), true);
        this.laterProgram = fusedProgram(config, kernels.precision(), false);
        boolean reranker = options.task() == Task.RERANKER;
        for (var e : w.entrySet()) {
            String name = reranker && !ModernBertWeights.head(e.getKey()) ? ModernBertWeights.PREFIX + e.getKey() : e.getKey();
            parameters.add(new Parameter(name, e.getValue(), true, ModernBertWeights.decays(e.getKey())));
        }
    }

    /**
     * Matches checkpoint names to the table (a task model's {@code model.} prefix is dropped); a reranker takes the
     * prediction head when the checkpoint has it (as a masked-LM base does) and initialises what is missing as
     * transformers does; anything else is an error naming the tensors.
     */
    private Map<String, NDArray> bind(Map<String, NDArray> checkpoint, NDManager manager, Path directory) {
        Map<String, Shape> head = new LinkedHashMap<>();
        if (options.task() == Task.RERANKER) {
            long h = config.hiddenSize();
            for (String n : ModernBertWeights.predictionHead(config)) {
                head.put(n, n.equals("head.dense.weight") ? new Shape(h, h) : new Shape(h));
            }
            head.put("classifier.weight", new Shape(options.numLabels(), h));
            head.put("classifier.bias", new Shape(options.numLabels()));
        }
        double out = config.initializerRange() / Math.sqrt(2.0 * config.numHiddenLayers());
        double last = Math.pow(config.hiddenSize(), -0.5);
        String what = "classification head (transformers' init: head.dense truncated normal std " + (float) out
                + ", classifier std " + (float) last + ", norm ones, biases zero)";
        long seed = options.seed();
        return StateDict.of(checkpoint, directory, "modernbert")
                .renamed(n -> n.startsWith(ModernBertWeights.PREFIX) ? n.substring(ModernBertWeights.PREFIX.length()) : n)
                .required(ModernBertWeights.encoder(config))
                .fresh(head, what, (n, shape) -> {
                    if (n.endsWith(".bias")) {
                        return manager.zeros(shape);
                    }
                    if (n.equals("head.norm.weight")) {
                        return manager.ones(shape);
                    }
                    double std = n.startsWith("classifier.") ? last : out;
                    return manager.create(truncatedNormal(shape.size(), std, config.initializerCutoffFactor(), seed + n.hashCode()), shape);
                })
                .ignored(ModernBertWeights::unused, "not used by a modernbert " + options.task().id())
                .bind()
                .tensors();
    }

    /** Seeded normal(0, std) values redrawn until within {@code cutoff * std} (torch's trunc_normal_). */
    static float[] truncatedNormal(long count, double std, double cutoff, long seed) {
        Random r = new Random(seed);
        float[] values = new float[Math.toIntExact(count)];
        for (int i = 0; i < values.length; i++) {
            double v;
            do {
                v = r.nextGaussian();
            } while (Math.abs(v) > cutoff);
            values[i] = (float) (v * std);
        }
        return values;
    }

    @Override
    public Linears linears() {
        return lin;
    }

    @Override
    public List<String> linearModules() {
        List<String> modules = new ArrayList<>();
        for (var e : w.entrySet()) {
            String name = e.getKey();
            if (name.endsWith(".weight") && e.getValue().getShape().dimension() == 2 && !name.startsWith("embeddings.")) {
                modules.add(name.substring(0, name.length() - ".weight".length()));
            }
        }
        return modules;
    }

    @Override
    public List<String> headModules() {
        return linearModules().stream().filter(ModernBertWeights::head).toList();
    }

    @Override
    public String architecture() {
        return "modernbert";
    }

    @Override
    public Task task() {
        return options.task();
    }

    @Override
    public @Nullable String pooling() {
        return options.task() == Task.EMBEDDING ? pooling : null;
    }

    @Override
    public ParameterSet parameters() {
        return parameters;
    }

    ModernBertConfig config() {
        return config;
    }

    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        NDArray hidden = hiddenStates(batch, training);
        NDArray mask = batch.attentionMask();
        if (options.task() == Task.RERANKER) {
            NDArray pooled = config.classifierPooling().equals("mean") ? Ops.meanPool(hidden, mask) : firstRealToken(hidden, mask);
            NDArray h = kernels.gelu(lin.apply("head.dense", pooled, training));
            h = norm(h, "head.norm");
            h = Ops.dropout(h, config.classifierDropout(), training);
            NDArray logits = lin.apply("classifier", h, training);
            return options.numLabels() == 1 ? logits.squeeze(1) : logits;
        }
        NDArray pooled = pooling.equals("mean") ? Ops.meanPool(hidden, mask) : firstRealToken(hidden, mask);
        return options.normalize() ? pooled.normalize(2, 1, 1e-12) : pooled;
    }

    /** The final-norm hidden states {@code [B, L, H]} (padded positions hold values that callers must mask). */
    public NDArray hiddenStates(TokenBatch batch, boolean training) {
        NDArray ids = batch.inputIds();
        NDArray mask = batch.attentionMask();
        long b = ids.getShape().get(0);
        long length = ids.getShape().get(1);
        NDArray x = norm(Ops.embedding(ids, w.get("embeddings.tok_embeddings.weight")), "embeddings.norm");
        x = Ops.dropout(x, config.embeddingDropout(), training);
        Masks masks = masks(mask, x.getDataType());
        Rotary global = rotary(masks.positions, config.globalRopeTheta(), x.getDataType());
        Rotary local = rotary(masks.positions, config.localRopeTheta(), x.getDataType());
        // inference on TorchScript kernels (no LoRA adapter to add): each layer is one fused module call
        boolean fused = !training && kernels instanceof TorchScriptKernels && lin.adapters().isEmpty();
        NDArray last = Checkpointing.layers(config.numHiddenLayers(), x, training, (i, h) -> {
            NDArray m = config.global(i) ? masks.global : masks.local;
            Rotary r = config.global(i) ? global : local;
            return fused ? fusedLayer(i, h, m, r) : layer(i, h, m, r, b, length, training);
        });
        return norm(last, "final_norm");
    }

    /** Rotary positions (real tokens counted), the additive padding mask and the padding + sliding-window mask. */
    record Masks(NDArray positions, NDArray global, NDArray local) {}

    record Rotary(NDArray cos, NDArray sin) {}

    Masks masks(NDArray attentionMask, DataType type) {
        NDManager m = attentionMask.getManager();
        long length = attentionMask.getShape().get(1);
        NDArray positions = attentionMask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(Scalars.of(0L)).toType(type, false);
        NDArray padding = Ops.paddingMask(attentionMask, type); // [B, 1, 1, L]
        // the window on token positions: key j is outside query i's window when |i - j| > local_attention / 2
        NDArray idx = m.arange(0f, (float) length);
        NDArray outside = idx.expandDims(0).sub(idx.expandDims(1)).abs().gt((float) config.halfWindow()); // [L, L]
        NDArray window = outside.toType(type, false).mul(Scalars.of(Ops.MASKED)).expandDims(0).expandDims(0); // [1, 1, L, L]
        return new Masks(positions, padding, padding.add(window));
    }

    /** cos and sin {@code [B, 1, L, D]} for rotary base {@code theta} (rotate_half convention, float64 frequencies). */
    Rotary rotary(NDArray positions, double theta, DataType type) {
        int d = config.headDim();
        double[] inv = new double[d / 2];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = 1.0 / Math.pow(theta, (2.0 * j) / d);
        }
        NDManager m = positions.getManager();
        NDArray freqs = positions.expandDims(2).mul(m.create(inv).toType(type, false).reshape(1, 1, d / 2));
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2).expandDims(1);
        return new Rotary(emb.cos(), emb.sin());
    }

    /** One encoder layer, op by op through the kernels (the composed reference, and the training path). */
    NDArray layer(int i, NDArray x, NDArray mask, Rotary r, long b, long length, boolean training) {
        int heads = config.numAttentionHeads();
        int d = config.headDim();
        String p = "layers." + i + ".";
        NDArray h = i == 0 ? x : norm(x, p + "attn_norm");
        NDList qkv = lin.apply(p + "attn.Wqkv", h, training).split(3, 2); // view(b, L, 3, heads, d): q, k, v in turn
        NDArray q = kernels.applyRotary(heads(qkv.get(0), b, length, heads, d), r.cos(), r.sin());
        NDArray k = kernels.applyRotary(heads(qkv.get(1), b, length, heads, d), r.cos(), r.sin());
        NDArray v = heads(qkv.get(2), b, length, heads, d);
        NDArray ctx = kernels.attention(q, k, v, mask, false, config.attentionDropout(), training)
                .transpose(0, 2, 1, 3).reshape(b, length, config.hiddenSize());
        NDArray a = Ops.dropout(lin.apply(p + "attn.Wo", ctx, training), config.attentionDropout(), training);
        x = x.add(a);
        NDList wi = lin.apply(p + "mlp.Wi", norm(x, p + "mlp_norm"), training).split(2, 2); // input, gate
        NDArray g = Ops.dropout(kernels.gelu(wi.get(0)).mul(wi.get(1)), config.mlpDropout(), training);
        return x.add(lin.apply(p + "mlp.Wo", g, training));
    }

    private static NDArray heads(NDArray x, long b, long length, int heads, int d) {
        return x.reshape(b, length, heads, d).transpose(0, 2, 1, 3);
    }

    private NDArray norm(NDArray x, String module) {
        NDArray bias = w.get(module + ".bias");
        return Ops.layerNorm(x, w.get(module + ".weight"), bias == null ? zeroBias : bias, config.normEps());
    }

    /** One encoder layer as a single TorchScript module call (inference). */
    private NDArray fusedLayer(int i, NDArray x, NDArray mask, Rotary r) {
        List<String> names = fusedWeights(config, i == 0);
        NDArray[] in = new NDArray[4 + names.size()];
        in[0] = x;
        in[1] = mask;
        in[2] = r.cos();
        in[3] = r.sin();
        for (int j = 0; j < names.size(); j++) {
            in[4 + j] = w.get("layers." + i + "." + names.get(j));
        }
        return (i == 0 ? firstProgram : laterProgram).run("y", in);
    }

    /** The per-layer weights the fused module takes, in its parameter order (biases only where the config has them). */
    static List<String> fusedWeights(ModernBertConfig c, boolean first) {
        List<String> names = new ArrayList<>();
        if (!first) {
            names.add("attn_norm.weight");
            if (c.normBias()) {
                names.add("attn_norm.bias");
            }
        }
        for (String[] m : new String[][] {{"attn.Wqkv", "a"}, {"attn.Wo", "a"}, {"mlp_norm", "n"}, {"mlp.Wi", "m"}, {"mlp.Wo", "m"}}) {
            names.add(m[0] + ".weight");
            boolean bias = switch (m[1]) {
                case "a" -> c.attentionBias();
                case "n" -> c.normBias();
                default -> c.mlpBias();
            };
            if (bias) {
                names.add(m[0] + ".bias");
            }
        }
        return names;
    }

    /**
     * A ModernBERT layer in TorchScript: attention norm (not in layer 0), the Wqkv product, rotary on q and k, SDPA with
     * the layer's additive mask (padding, and for a local layer the sliding window), Wo and residual, MLP norm, GeGLU
     * and residual, all in the compute precision from the layer's entry to its exit.
     */
    static LayerProgram fusedProgram(ModernBertConfig c, Precision precision, boolean first) {
        LayerProgram g = LayerProgram.of(precision);
        g.params("x", "m", "cs", "sn");
        List<String> names = fusedWeights(c, first);
        Map<String, String> arg = new LinkedHashMap<>();
        for (int j = 0; j < names.size(); j++) {
            String param = "w" + j;
            g.params(param);
            arg.put(names.get(j), g.compute(param));
        }
        String hidden = Integer.toString(c.hiddenSize());
        String eps = LayerProgram.literal(c.normEps());
        int heads = c.numAttentionHeads();
        int d = c.headDim();
        g.line("h0 = " + g.compute("x"));
        g.line("mm = " + g.computeMask("m"));
        g.line("c = " + g.compute("cs"));
        g.line("s = " + g.compute("sn"));
        g.line("nb = torch.size(x, 0)");
        g.line("nl = torch.size(x, 1)");
        g.line("a0 = " + (first ? "h0" : layerNorm("h0", arg, "attn_norm", hidden, eps)));
        g.line("t = torch.chunk(" + linear("a0", arg, "attn.Wqkv") + ", 3, -1)");
        for (int t = 0; t < 3; t++) {
            String name = "qkv".substring(t, t + 1);
            g.line(name + "1 = torch.transpose(torch.reshape(t[" + t + "], [nb, nl, " + heads + ", " + d + "]), 1, 2)");
        }
        for (String t : List.of("q", "k")) {
            g.line(t + "h = torch.chunk(" + t + "1, 2, -1)");
            g.line(t + "2 = torch.add(torch.mul(" + t + "1, c), torch.mul(torch.cat([torch.neg(" + t + "h[1]), " + t + "h[0]], -1), s))");
        }
        g.line("o0 = torch.scaled_dot_product_attention(q2, k2, v1, mm, 0.0, False)");
        g.line("o1 = torch.reshape(torch.transpose(o0, 1, 2), [nb, nl, " + hidden + "])");
        g.line("h1 = torch.add(h0, " + linear("o1", arg, "attn.Wo") + ")");
        g.line("a1 = " + layerNorm("h1", arg, "mlp_norm", hidden, eps));
        g.line("f = torch.chunk(" + linear("a1", arg, "mlp.Wi") + ", 2, -1)");
        g.line("f1 = torch.mul(torch.gelu(f[0]), f[1])");
        g.line("h2 = torch.add(h1, " + linear("f1", arg, "mlp.Wo") + ")");
        g.line("y = " + g.float32("h2"));
        return g;
    }

    private static String linear(String x, Map<String, String> arg, String module) {
        String bias = arg.get(module + ".bias");
        return "torch.linear(" + x + ", " + arg.get(module + ".weight") + (bias == null ? "" : ", " + bias) + ")";
    }

    private static String layerNorm(String x, Map<String, String> arg, String module, String hidden, String eps) {
        String bias = arg.get(module + ".bias");
        return "torch.layer_norm(" + x + ", [" + hidden + "], " + arg.get(module + ".weight") + ", " + (bias == null ? "None" : bias)
                + ", " + eps + ")";
    }

    /** The hidden state of each row's first real token ([CLS]), wherever padding put it. */
    private static NDArray firstRealToken(NDArray hidden, NDArray mask) {
        NDArray first = mask.toType(DataType.INT64, false).argMax(1).reshape(-1, 1, 1)
                .broadcast(new Shape(hidden.getShape().get(0), 1, hidden.getShape().get(2)));
        return hidden.gather(first, 1).squeeze(1);
    }

    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        if (options.task() == Task.RERANKER) {
            c.put("architectures", List.of("ModernBertForSequenceClassification"));
            c.put("num_labels", options.numLabels());
            Map<String, String> id2label = new LinkedHashMap<>();
            Map<String, Integer> label2id = new LinkedHashMap<>();
            for (int i = 0; i < options.numLabels(); i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
                label2id.put("LABEL_" + i, i);
            }
            c.put("id2label", id2label);
            c.put("label2id", label2id);
        } else {
            c.put("architectures", List.of("ModernBertModel"));
        }
        return c;
    }

    /**
     * Matrix products (Wqkv, Wo, Wi, Wo: {@code 8 h^2 + 6 h i} per token) and attention ({@code 4 h} per token and key
     * attended: every key on a global layer, at most {@code 2 (local_attention / 2) + 1} on a local one), over all layers.
     */
    @Override
    public double forwardFlops(long batch, long length) {
        double h = config.hiddenSize();
        double total = 0;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            double keys = config.global(i) ? length : Math.min(length, 2L * config.halfWindow() + 1);
            total += 8 * h * h + 6 * h * config.intermediateSize() + 4 * keys * h;
        }
        return batch * length * total;
    }

    @Override
    public void close() {
        // weights belong to the manager the model was created with
    }
}
