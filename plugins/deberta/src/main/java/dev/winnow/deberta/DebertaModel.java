package dev.winnow.deberta;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.deberta.DebertaOptions.Head;
import dev.winnow.nn.Checkpointing;
import dev.winnow.nn.Linears;
import dev.winnow.nn.LoraTarget;
import dev.winnow.nn.Ops;
import dev.winnow.nn.StateDict;
import dev.winnow.nn.kernels.Kernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DeBERTa-v2/v3 as transformers' {@code modeling_deberta_v2.py} defines it. Embeddings: word (plus absolute positions
 * only with {@code position_biased_input}, plus token types when {@code type_vocab_size > 0}), LayerNorm, zeroed at
 * padding. Post-LayerNorm layers with disentangled self-attention: the content scores {@code q k^T} plus the
 * content-to-position term {@code q . pos_key[idx(i, j)]} and the position-to-content term
 * {@code k_j . pos_query[idx'(j, i)]}, all divided by {@code sqrt(head_dim * 3)} (one plus the number of relative
 * terms); {@code pos_key} / {@code pos_query} are the relative embeddings ({@code encoder.rel_embeddings}, through
 * {@code encoder.LayerNorm} with {@code norm_rel_ebd: layer_norm}, and dropout) projected by the layer's own
 * {@code key_proj} / {@code query_proj} ({@code share_att_key}) or by {@code pos_key_proj} / {@code pos_query_proj};
 * {@code idx(i, j) = clamp(bucket(i - j) + span, 0, 2 span - 1)} with log buckets ({@code position_buckets}) beyond
 * half the bucket count. Relative positions are distances between array positions, so padding on either side leaves
 * them unchanged between real tokens; absolute positions count real tokens (so a left-padded row equals the row alone,
 * as right padding does in transformers).
 *
 * <p>The reranker head is {@code DebertaV2ForSequenceClassification}'s (ContextPooler: dropout, dense, gelu on the
 * first real token; dropout {@code cls_dropout}; classifier) or open-retrievals' mean pooling (the mean of the last
 * hidden states over real tokens, then a linear classifier, no dropout), chosen by {@code model.options.head}.
 * Attention goes through {@link Kernels#attention} with the relative terms (and the padding) as its additive mask and
 * the queries pre-divided by {@code sqrt(3)}, so both kernel paths compute it.
 */
public final class DebertaModel implements WinnowModel, LoraTarget {
    private final DebertaConfig config;
    private final Map<String, Object> configJson;
    private final ModelOptions options;
    private final Head head;
    /** Encoder and head weights by their unprefixed names. */
    private final Map<String, NDArray> w;
    private final ParameterSet parameters = new ParameterSet();
    private final Kernels kernels;
    private final Linears lin;

    DebertaModel(DebertaConfig config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options,
            NDManager manager, Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.options = options;
        if (options.task() != Task.RERANKER) {
            throw new UserException("DeBERTa is implemented as a cross-encoder: task " + options.task().id()
                    + " is not available; use task: reranker");
        }
        Head chosen = options.architectureOptions(DebertaOptions.class, DebertaOptions.DEFAULTS).head();
        if (chosen == null) {
            chosen = "mean".equals(config.poolingMethod()) ? Head.MEAN : Head.CONTEXT_POOLER;
        }
        this.head = chosen;
        this.w = bind(checkpoint, manager, directory);
        this.kernels = Kernels.forModel(options);
        this.lin = new Linears(w, kernels);
        for (var e : w.entrySet()) {
            String name = DebertaWeights.head(e.getKey()) ? e.getKey() : DebertaWeights.PREFIX + e.getKey();
            parameters.add(new Parameter(name, e.getValue(), true, DebertaWeights.decays(e.getKey())));
        }
    }

    /**
     * Matches checkpoint names to the table ({@code deberta.} is dropped), checks every shape against the config, keeps
     * the head when the checkpoint has it and initialises a missing one as transformers does (normal with
     * {@code initializer_range}, zero biases); the pre-training heads are dropped, anything else unknown is an error.
     */
    private Map<String, NDArray> bind(Map<String, NDArray> checkpoint, NDManager manager, Path directory) {
        Map<String, Shape> encoder = DebertaWeights.encoder(config);
        long seed = options.seed();
        Map<String, NDArray> bound = StateDict.of(checkpoint, directory, "deberta-v2")
                .renamed(n -> n.startsWith(DebertaWeights.PREFIX) ? n.substring(DebertaWeights.PREFIX.length()) : n)
                .required(new ArrayList<>(encoder.keySet()))
                .fresh(DebertaWeights.head(config, head == Head.CONTEXT_POOLER, options.numLabels()),
                        head == Head.MEAN ? "mean-pooling classifier (normal, std " + config.initializerRange() + ")"
                                : "ContextPooler and classifier (normal, std " + config.initializerRange() + ")",
                        (n, shape) -> n.endsWith(".bias") ? manager.zeros(shape)
                                : manager.create(Ops.normal(shape.size(), config.initializerRange(), seed + n.hashCode()), shape))
                .ignored(n -> DebertaWeights.unused(n, config), "not used by a deberta-v2 reranker with the " + head.id() + " head")
                .bind()
                .tensors();
        for (var e : encoder.entrySet()) {
            Shape got = bound.get(e.getKey()).getShape();
            if (!got.equals(e.getValue())) {
                throw new UserException(directory + ": " + DebertaWeights.PREFIX + e.getKey() + " has shape " + got
                        + " but config.json makes it " + e.getValue());
            }
        }
        return bound;
    }

    @Override
    public Linears linears() {
        return lin;
    }

    @Override
    public List<String> linearModules() {
        List<String> out = new ArrayList<>();
        for (var e : w.entrySet()) {
            String name = e.getKey();
            if (name.endsWith(".weight") && e.getValue().getShape().dimension() == 2 && !name.startsWith("embeddings.")
                    && !name.equals("encoder.rel_embeddings.weight")) {
                out.add(name.substring(0, name.length() - ".weight".length()));
            }
        }
        return out;
    }

    @Override
    public List<String> headModules() {
        return linearModules().stream().filter(DebertaWeights::head).toList();
    }

    @Override
    public String architecture() {
        return "deberta-v2";
    }

    @Override
    public Task task() {
        return options.task();
    }

    @Override
    public ParameterSet parameters() {
        return parameters;
    }

    DebertaConfig config() {
        return config;
    }

    /** The head in use. */
    public Head head() {
        return head;
    }

    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        NDArray hidden = hiddenStates(batch, training);
        NDArray mask = batch.attentionMask();
        NDArray pooled;
        if (head == Head.MEAN) {
            pooled = Ops.meanPool(hidden, mask);
        } else {
            NDArray cls = Ops.dropout(firstRealToken(hidden, mask), config.poolerDropout(), training);
            pooled = kernels.gelu(lin.apply("pooler.dense", cls, training));
            pooled = Ops.dropout(pooled, config.clsDropout(), training);
        }
        NDArray logits = lin.apply("classifier", pooled, training);
        return options.numLabels() == 1 ? logits.squeeze(1) : logits;
    }

    /** DebertaV2Model's last hidden states {@code [B, L, H]} (padded positions hold values that callers must mask). */
    public NDArray hiddenStates(TokenBatch batch, boolean training) {
        NDArray ids = batch.inputIds();
        NDArray mask = batch.attentionMask();
        long b = ids.getShape().get(0);
        long length = ids.getShape().get(1);
        NDArray x = Ops.embedding(ids, w.get("embeddings.word_embeddings.weight"));
        if (config.positionBiasedInput()) {
            NDArray positions = mask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(Scalars.of(0L));
            x = x.add(Ops.embedding(positions, w.get("embeddings.position_embeddings.weight")));
        }
        if (config.typeVocabSize() > 0) {
            NDArray types = batch.tokenTypeIds() != null ? batch.tokenTypeIds() : ids.zerosLike();
            x = x.add(Ops.embedding(types, w.get("embeddings.token_type_embeddings.weight")));
        }
        x = norm(x, "embeddings.LayerNorm");
        x = x.mul(mask.toType(x.getDataType(), false).expandDims(2));
        x = Ops.dropout(x, config.hiddenDropoutProb(), training);
        Relative rel = relative(ids.getManager(), b, length);
        NDArray padding = Ops.paddingMask(mask, x.getDataType());
        return Checkpointing.layers(config.numHiddenLayers(), x, training, (i, h) -> layer(i, h, padding, rel, b, length, training));
    }

    /** The c2p and p2c gather indices, {@code [B, H, L, L]} views of one {@code [L, L]} table each. */
    record Relative(NDArray c2p, NDArray p2c) {}

    Relative relative(NDManager m, long b, long length) {
        int n = Math.toIntExact(length);
        long span = config.attentionSpan();
        long[] c2p = new long[n * n];
        long[] p2c = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                long r = config.relativePosition(i - j);
                c2p[i * n + j] = Math.max(0, Math.min(2 * span - 1, r + span));
                p2c[i * n + j] = Math.max(0, Math.min(2 * span - 1, -r + span));
            }
        }
        Shape full = new Shape(b, config.numAttentionHeads(), length, length);
        return new Relative(m.create(c2p, new Shape(1, 1, length, length)).broadcast(full),
                m.create(p2c, new Shape(1, 1, length, length)).broadcast(full));
    }

    /** The relative embeddings as a layer's attention reads them: normalised per norm_rel_ebd, then dropout. */
    private NDArray relativeEmbeddings(boolean training) {
        NDArray rel = w.get("encoder.rel_embeddings.weight");
        if (config.normRelEmbedding()) {
            rel = norm(rel, "encoder.LayerNorm");
        }
        return Ops.dropout(rel, config.hiddenDropoutProb(), training);
    }

    /** One post-LN layer with disentangled attention, op by op through the kernels. */
    NDArray layer(int i, NDArray x, NDArray padding, Relative rel, long b, long length, boolean training) {
        int heads = config.numAttentionHeads();
        int d = config.headDim();
        String p = "encoder.layer." + i + ".";
        String s = p + "attention.self.";
        NDArray q = split(lin.apply(s + "query_proj", x, training), b, length, heads, d);
        NDArray k = split(lin.apply(s + "key_proj", x, training), b, length, heads, d);
        NDArray v = split(lin.apply(s + "value_proj", x, training), b, length, heads, d);
        NDArray relEmb = relativeEmbeddings(training);
        long positions = relEmb.getShape().get(0);
        NDArray posKey = split(lin.apply(s + (config.shareAttKey() ? "key_proj" : "pos_key_proj"), relEmb, training), 1, positions, heads, d);
        NDArray posQuery = split(lin.apply(s + (config.shareAttKey() ? "query_proj" : "pos_query_proj"), relEmb, training), 1, positions, heads, d);
        double scale = Math.sqrt((double) d * config.scaleFactor());
        // content -> position: q_i . pos_key[c2p(i, j)]
        NDArray c2p = q.matMul(posKey.transpose(0, 1, 3, 2)).gather(rel.c2p(), 3);
        // position -> content: (k_a . pos_query[p2c(a, b)]) transposed, so entry (i, j) reads key j at p2c(j, i)
        NDArray p2c = k.matMul(posQuery.transpose(0, 1, 3, 2)).gather(rel.p2c(), 3).transpose(0, 1, 3, 2);
        NDArray bias = c2p.add(p2c).div(Scalars.of(scale)).add(padding);
        NDArray ctx = kernels.attention(q.div(Scalars.of(Math.sqrt(config.scaleFactor()))), k, v, bias, false,
                        config.attentionProbsDropoutProb(), training)
                .transpose(0, 2, 1, 3).reshape(b, length, config.hiddenSize());
        NDArray a = Ops.dropout(lin.apply(p + "attention.output.dense", ctx, training), config.hiddenDropoutProb(), training);
        x = norm(a.add(x), p + "attention.output.LayerNorm");
        NDArray f = kernels.gelu(lin.apply(p + "intermediate.dense", x, training));
        f = Ops.dropout(lin.apply(p + "output.dense", f, training), config.hiddenDropoutProb(), training);
        return norm(f.add(x), p + "output.LayerNorm");
    }

    private static NDArray split(NDArray x, long b, long length, int heads, int d) {
        return x.reshape(b, length, heads, d).transpose(0, 2, 1, 3);
    }

    private NDArray norm(NDArray x, String module) {
        return Ops.layerNorm(x, w.get(module + ".weight"), w.get(module + ".bias"), config.layerNormEps());
    }

    /** The hidden state of each row's first real token ([CLS]), wherever padding put it. */
    private static NDArray firstRealToken(NDArray hidden, NDArray mask) {
        NDArray first = mask.toType(DataType.INT64, false).argMax(1).reshape(-1, 1, 1)
                .broadcast(new Shape(hidden.getShape().get(0), 1, hidden.getShape().get(2)));
        return hidden.gather(first, 1).squeeze(1);
    }

    /**
     * The context-pooler reranker exports as {@code DebertaV2ForSequenceClassification} (transformers loads it as it
     * is); the mean-pooling reranker, which has no transformers class, as {@code DebertaV2Model} with
     * {@code pooling_method: mean} and its {@code classifier.*} beside the encoder, which Winnow reads back as the same
     * model.
     */
    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        if (head == Head.MEAN) {
            c.put("architectures", List.of("DebertaV2Model"));
            c.put("pooling_method", "mean");
        } else {
            c.put("architectures", List.of("DebertaV2ForSequenceClassification"));
            c.remove("pooling_method");
        }
        c.put("num_labels", options.numLabels());
        Map<String, String> id2label = new LinkedHashMap<>();
        Map<String, Integer> label2id = new LinkedHashMap<>();
        for (int i = 0; i < options.numLabels(); i++) {
            id2label.put(Integer.toString(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        c.put("id2label", id2label);
        c.put("label2id", label2id);
        return c;
    }

    /**
     * Per token and layer: the Q/K/V/output and feed-forward products ({@code 8 h^2 + 4 h i}), content attention
     * ({@code 4 L h}) and the two relative terms against the {@code 2 span} positions ({@code 8 span h}); per layer
     * once, the projections of the relative table ({@code 2 * 2 * 2 span * h^2}).
     */
    @Override
    public double forwardFlops(long batch, long length) {
        double h = config.hiddenSize();
        double span = config.attentionSpan();
        double perToken = 8 * h * h + 4 * h * config.intermediateSize() + 4 * length * h + 8 * span * h;
        double table = 8 * span * h * h;
        return (batch * length * perToken + table) * config.numHiddenLayers();
    }

    @Override
    public void close() {
        // weights belong to the manager the model was created with
    }

    @Override
    public String toString() {
        return "DebertaModel" + Arrays.asList(config.numHiddenLayers(), config.hiddenSize(), head.id());
    }
}
