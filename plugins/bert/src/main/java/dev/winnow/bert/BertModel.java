package dev.winnow.bert;

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
 * BERT / XLM-RoBERTa: post-LayerNorm encoder with exact GELU, a cross-encoder head (BERT: pooler + classifier;
 * XLM-R: dense-tanh-out_proj) for {@link Task#RERANKER}, or pooling (cls, mean, last; L2-normalised by default)
 * for {@link Task#EMBEDDING}. Weights are held under their Hugging Face names, as exported for the task.
 */
public final class BertModel implements WinnowModel, dev.winnow.nn.LoraTarget {
    private final BertConfig config;
    private final Map<String, Object> configJson;
    private final ModelOptions options;
    /** Encoder and head weights by their unprefixed names. */
    private final Map<String, NDArray> w;
    private final ParameterSet parameters = new ParameterSet();
    private final String pooling;
    private final dev.winnow.nn.Linears lin;
    /** Attention, GELU and every linear product run through these (options.kernels() in options.precision()). */
    private final Kernels kernels;
    /** The fused layer without dropout (inference), used when the kernels are TorchScript ones. */
    private final LayerProgram fusedProgram;
    /** The fused layer of a training forward: the config's attention and hidden dropout inside the module. */
    private final LayerProgram fusedTrainingProgram;

    BertModel(BertConfig config, Map<String, Object> configJson, Map<String, NDArray> checkpoint, ModelOptions options,
            NDManager manager, Path directory) {
        this.config = config;
        this.configJson = new LinkedHashMap<>(configJson);
        this.options = options;
        // sentence-transformers' default pooling is mean; the cross-encoder head reads [CLS] whatever this says
        this.pooling = options.pooling() == null ? "mean" : options.pooling();
        if (!List.of("cls", "mean", "last").contains(pooling)) {
            throw new UserException("model.pooling '" + pooling + "' is not valid for BERT; valid: cls, mean, last");
        }
        this.w = bind(checkpoint, manager, directory);
        this.kernels = Kernels.forModel(options);
        this.lin = new dev.winnow.nn.Linears(w, kernels);
        this.fusedProgram = fusedProgram(config, kernels.precision(), false);
        this.fusedTrainingProgram = fusedProgram(config, kernels.precision(), true);
        this.nativeProgram = nativeProgram(config);
        String prefix = options.task() == Task.RERANKER ? BertWeights.prefix(config) : "";
        for (var e : w.entrySet()) {
            boolean head = e.getKey().startsWith("classifier.");
            parameters.add(new Parameter(head ? e.getKey() : prefix + e.getKey(), e.getValue(), true, BertWeights.decays(e.getKey())));
        }
    }

    /** Matches checkpoint names to the table; initialises a missing head; refuses a missing or unknown tensor. */
    private Map<String, NDArray> bind(Map<String, NDArray> checkpoint, NDManager manager, Path directory) {
        String prefix = BertWeights.prefix(config);
        Map<String, Shape> head = new LinkedHashMap<>();
        if (options.task() == Task.RERANKER) {
            for (String n : BertWeights.classificationHead(config)) {
                head.put(n, new Shape(headShape(n)));
            }
        }
        long seed = options.seed();
        return StateDict.of(checkpoint, directory, config.modelType())
                .renamed(n -> n.startsWith(prefix) ? n.substring(prefix.length()) : n)
                .required(BertWeights.encoder(config))
                .fresh(head, "classification head (normal, std " + config.initializerRange() + ")",
                        (n, shape) -> n.endsWith(".bias") ? manager.zeros(shape)
                                : manager.create(Ops.normal(shape.size(), config.initializerRange(), seed + n.hashCode()), shape))
                .ignored(BertWeights::pretrainingHead, "not used by a " + config.modelType() + " " + options.task().id())
                .bind()
                .tensors();
    }

    private long[] headShape(String n) {
        long h = config.hiddenSize();
        long labels = options.numLabels();
        return switch (n) {
            case "pooler.dense.weight", "classifier.dense.weight" -> new long[] {h, h};
            case "pooler.dense.bias", "classifier.dense.bias" -> new long[] {h};
            case "classifier.weight", "classifier.out_proj.weight" -> new long[] {labels, h};
            case "classifier.bias", "classifier.out_proj.bias" -> new long[] {labels};
            default -> throw new IllegalStateException(n);
        };
    }

    @Override
    public dev.winnow.nn.Linears linears() {
        return lin;
    }

    @Override
    public List<String> linearModules() {
        List<String> out = new ArrayList<>();
        for (String name : w.keySet()) {
            if (name.endsWith(".weight") && w.get(name).getShape().dimension() == 2 && !name.startsWith("embeddings.")) {
                out.add(name.substring(0, name.length() - ".weight".length()));
            }
        }
        return out;
    }

    @Override
    public List<String> headModules() {
        return linearModules().stream().filter(n -> n.startsWith("pooler.") || n.startsWith("classifier")).toList();
    }

    @Override
    public String architecture() {
        return config.roberta() ? "xlm-roberta" : "bert";
    }

    @Override
    public @org.jspecify.annotations.Nullable String pooling() {
        return options.task() == Task.EMBEDDING ? pooling : null;
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
    public NDArray forward(TokenBatch batch, boolean training) {
        NDArray hidden = hiddenStates(batch, training);
        if (options.task() == Task.RERANKER) {
            NDArray cls = firstRealToken(hidden, batch.attentionMask());
            NDArray logits;
            if (config.roberta()) {
                NDArray x = Ops.dropout(cls, config.hiddenDropoutProb(), training);
                x = lin.apply("classifier.dense", x, training).tanh();
                x = Ops.dropout(x, config.hiddenDropoutProb(), training);
                logits = lin.apply("classifier.out_proj", x, training);
            } else {
                NDArray pooled = lin.apply("pooler.dense", cls, training).tanh();
                pooled = Ops.dropout(pooled, config.hiddenDropoutProb(), training);
                logits = lin.apply("classifier", pooled, training);
            }
            return options.numLabels() == 1 ? logits.squeeze(1) : logits;
        }
        NDArray pooled = switch (pooling) {
            case "mean" -> Ops.meanPool(hidden, batch.attentionMask());
            case "last" -> Ops.lastTokenPool(hidden, batch.attentionMask());
            default -> firstRealToken(hidden, batch.attentionMask());
        };
        return options.normalize() ? pooled.normalize(2, 1, 1e-12) : pooled;
    }

    /** The last hidden states {@code [B, L, H]} (padded positions hold values that callers must mask). */
    public NDArray hiddenStates(TokenBatch batch, boolean training) {
        NDArray ids = batch.inputIds();
        NDArray mask = batch.attentionMask();
        NDManager m = ids.getManager();
        long length = ids.getShape().get(1);
        NDArray positions;
        if (config.roberta()) {
            // create_position_ids_from_input_ids: cumulative count of non-padding tokens, offset by padding_idx
            NDArray real = ids.neq(config.padTokenId()).toType(DataType.INT64, false);
            positions = real.cumSum(1).mul(real).add(config.padTokenId());
        } else {
            // absolute positions counted over real tokens: the same as arange for right padding, and correct
            // for left padding too (so a left-padded batch equals each input alone)
            NDArray real = mask.toType(DataType.INT64, false);
            positions = real.cumSum(1).sub(1).maximum(Scalars.of(0L));
        }
        NDArray types = batch.tokenTypeIds() != null && config.typeVocabSize() > 1 ? batch.tokenTypeIds() : ids.zerosLike();
        NDArray embedded = Ops.embedding(ids, w.get("embeddings.word_embeddings.weight"))
                .add(Ops.embedding(positions, w.get("embeddings.position_embeddings.weight")))
                .add(Ops.embedding(types, w.get("embeddings.token_type_embeddings.weight")));
        embedded = Ops.layerNorm(embedded, w.get("embeddings.LayerNorm.weight"), w.get("embeddings.LayerNorm.bias"), config.layerNormEps());
        embedded = Ops.dropout(embedded, config.hiddenDropoutProb(), training);
        NDArray additive = Ops.paddingMask(mask, embedded.getDataType());
        long b = ids.getShape().get(0);
        // on TorchScript kernels with no LoRA adapter to add, each layer is one fused module call, in inference and in
        // training (its backward runs through libtorch's autograd; dropout, with the same masks, inside the module)
        boolean fused = kernels instanceof TorchScriptKernels && lin.adapters().isEmpty() && LayerProgram.enabled();
        LayerProgram program = training ? fusedTrainingProgram : fusedProgram;
        if (fused && !training && kernels.precision() == dev.winnow.api.model.Precision.FP32 && LayerProgram.nativeLayers()) {
            program = nativeProgram;
        }
        LayerProgram chosen = program;
        return Checkpointing.layers(config.numHiddenLayers(), embedded, training,
                (i, x) -> fused ? fusedLayer(chosen, i, x, additive) : layer(i, x, additive, b, length, training));
    }

    /** One encoder layer, op by op through the kernels (the composed reference, and the training path). */
    private NDArray layer(int i, NDArray x, NDArray additive, long b, long length, boolean training) {
        int heads = config.numAttentionHeads();
        int dim = config.headDim();
        String p = "encoder.layer." + i + ".";
        NDArray q = split(lin.apply(p + "attention.self.query", x, training), b, length, heads, dim);
        NDArray k = split(lin.apply(p + "attention.self.key", x, training), b, length, heads, dim);
        NDArray v = split(lin.apply(p + "attention.self.value", x, training), b, length, heads, dim);
        NDArray ctx = kernels.attention(q, k, v, additive, false, config.attentionProbsDropoutProb(), training)
                .transpose(0, 2, 1, 3).reshape(b, length, config.hiddenSize());
        NDArray a = lin.apply(p + "attention.output.dense", ctx, training);
        a = Ops.dropout(a, config.hiddenDropoutProb(), training);
        x = Ops.layerNorm(a.add(x), w.get(p + "attention.output.LayerNorm.weight"), w.get(p + "attention.output.LayerNorm.bias"), config.layerNormEps());
        NDArray h = kernels.gelu(lin.apply(p + "intermediate.dense", x, training));
        h = lin.apply(p + "output.dense", h, training);
        h = Ops.dropout(h, config.hiddenDropoutProb(), training);
        return Ops.layerNorm(h.add(x), w.get(p + "output.LayerNorm.weight"), w.get(p + "output.LayerNorm.bias"), config.layerNormEps());
    }

    /** One encoder layer as a single TorchScript module call. */
    private NDArray fusedLayer(LayerProgram program, int i, NDArray x, NDArray additive) {
        String p = "encoder.layer." + i + ".";
        NDArray[] in = new NDArray[2 + FUSED_WEIGHTS.size()];
        in[0] = x;
        in[1] = additive;
        for (int j = 0; j < FUSED_WEIGHTS.size(); j++) {
            in[2 + j] = w.get(p + FUSED_WEIGHTS.get(j));
        }
        return program.run(FUSED_RESULT, in);
    }

    /** The per-layer weights the fused module takes, in its parameter order. */
    private static final List<String> FUSED_WEIGHTS = List.of(
            "attention.self.query.weight", "attention.self.query.bias",
            "attention.self.key.weight", "attention.self.key.bias",
            "attention.self.value.weight", "attention.self.value.bias",
            "attention.output.dense.weight", "attention.output.dense.bias",
            "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias",
            "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias");
    private static final String FUSED_RESULT = "y";

    /**
     * A post-LN BERT layer in TorchScript: Q/K/V products, SDPA with the additive padding mask, output
     * product, residual + LayerNorm, GELU feed-forward, residual + LayerNorm, all in the compute precision
     * from the layer's entry to its exit (the float32 weights are cast once per call).
     *
     * <p>With {@code training}, the config's dropout is applied where {@link #layer} applies it, in the same order:
     * attention-probability dropout inside SDPA (as the kernels' attention passes it), hidden dropout on the
     * attention output and on the feed-forward output. Each draws from libtorch's generator as the op-by-op layer's
     * does, so both layers give the same masks from the same seed (and checkpointing's replay reproduces them).
     */
    static LayerProgram fusedProgram(BertConfig config, dev.winnow.api.model.Precision precision, boolean training) {
        LayerProgram g = LayerProgram.of(precision);
        g.params("x", "m", "wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "g1", "e1", "wi", "bi", "wf", "bf", "g2", "e2");
        String heads = Integer.toString(config.numAttentionHeads());
        String dim = Integer.toString(config.headDim());
        String hidden = Integer.toString(config.hiddenSize());
        String eps = LayerProgram.literal(config.layerNormEps());
        g.line("h0 = " + g.compute("x"));
        g.line("mm = " + g.computeMask("m"));
        g.line("nb = torch.size(x, 0)");
        g.line("nl = torch.size(x, 1)");
        for (String t : List.of("q", "k", "v")) {
            g.line(t + "0 = torch.linear(h0, " + g.compute("w" + t) + ", " + g.compute("b" + t) + ")");
            g.line(t + "1 = torch.transpose(torch.view(" + t + "0, [nb, nl, " + heads + ", " + dim + "]), 1, 2)");
        }
        double attentionDropout = training ? config.attentionProbsDropoutProb() : 0.0;
        double hiddenDropout = training ? config.hiddenDropoutProb() : 0.0;
        g.line("c0 = torch.scaled_dot_product_attention(q1, k1, v1, mm, " + LayerProgram.literal(attentionDropout) + ", False)");
        g.line("c1 = torch.reshape(torch.transpose(c0, 1, 2), [nb, nl, " + hidden + "])");
        g.line("a0 = " + LayerProgram.dropout("torch.linear(c1, " + g.compute("wo") + ", " + g.compute("bo") + ")", hiddenDropout));
        g.line("h1 = torch.layer_norm(torch.add(a0, h0), [" + hidden + "], " + g.compute("g1") + ", " + g.compute("e1") + ", " + eps + ")");
        g.line("f0 = torch.gelu(torch.linear(h1, " + g.compute("wi") + ", " + g.compute("bi") + "))");
        g.line("f1 = " + LayerProgram.dropout("torch.linear(f0, " + g.compute("wf") + ", " + g.compute("bf") + ")", hiddenDropout));
        g.line("h2 = torch.layer_norm(torch.add(f1, h1), [" + hidden + "], " + g.compute("g2") + ", " + g.compute("e2") + ", " + eps + ")");
        g.line(FUSED_RESULT + " = " + g.float32("h2"));
        return g;
    }

    /** libtorch's own fused post-LN encoder layer (opt-in, fp32 inference only; see {@link LayerProgram#nativeLayers}). */
    private final LayerProgram nativeProgram;

    /**
     * The same layer through {@code aten::_transformer_encoder_layer_fwd} (nn.TransformerEncoderLayer's fast path):
     * Q/K/V concatenated into one in-projection, exact GELU, post-LN, the padding as a key-padding mask (mask type
     * 1, true where masked). It takes the parameters of {@link #fusedProgram} in the same order.
     */
    static LayerProgram nativeProgram(BertConfig config) {
        LayerProgram g = LayerProgram.of(dev.winnow.api.model.Precision.FP32);
        g.params("x", "m", "wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "g1", "e1", "wi", "bi", "wf", "bf", "g2", "e2");
        g.line("wqkv = torch.cat([wq, wk, wv], 0)");
        g.line("bqkv = torch.cat([bq, bk, bv], 0)");
        g.line("pad = torch.lt(torch.reshape(m, [torch.size(x, 0), torch.size(x, 1)]), -1.0)");
        g.line(FUSED_RESULT + " = torch._transformer_encoder_layer_fwd(x, " + config.hiddenSize() + ", " + config.numAttentionHeads()
                + ", wqkv, bqkv, wo, bo, True, False, " + LayerProgram.literal(config.layerNormEps())
                + ", g1, e1, g2, e2, wi, bi, wf, bf, pad, 1)");
        return g;
    }

    /** The hidden state of each row's first real token ([CLS]), wherever padding put it. */
    private static NDArray firstRealToken(NDArray hidden, NDArray mask) {
        NDArray first = mask.toType(DataType.INT64, false).argMax(1).reshape(-1, 1, 1)
                .broadcast(new Shape(hidden.getShape().get(0), 1, hidden.getShape().get(2)));
        return hidden.gather(first, 1).squeeze(1);
    }

    private static NDArray split(NDArray x, long b, long length, int heads, int dim) {
        return x.reshape(b, length, heads, dim).transpose(0, 2, 1, 3);
    }

    @Override
    public Map<String, Object> exportConfig() {
        Map<String, Object> c = new LinkedHashMap<>(configJson);
        if (options.task() == Task.RERANKER) {
            c.put("architectures", List.of(config.roberta() ? "XLMRobertaForSequenceClassification" : "BertForSequenceClassification"));
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
            c.put("architectures", List.of(config.roberta() ? "XLMRobertaModel" : "BertModel"));
        }
        return c;
    }

    @Override
    public double forwardFlops(long batch, long length) {
        double h = config.hiddenSize();
        double perTokenPerLayer = 8 * h * h + 4 * h * config.intermediateSize() + 4 * length * h;
        return batch * length * perTokenPerLayer * config.numHiddenLayers();
    }

    @Override
    public void close() {
        // weights belong to the manager the model was created with
    }
}
