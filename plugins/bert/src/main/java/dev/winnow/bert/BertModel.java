package dev.winnow.bert;

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
import dev.winnow.nn.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BERT / XLM-RoBERTa: post-LayerNorm encoder with exact GELU, a cross-encoder head (BERT: pooler + classifier;
 * XLM-R: dense-tanh-out_proj) for {@link Task#RERANKER}, or pooling (cls, mean, last; L2-normalised by default)
 * for {@link Task#EMBEDDING}. Weights are held under their Hugging Face names, as exported for the task.
 */
public final class BertModel implements WinnowModel, dev.winnow.nn.LoraTarget {
    private static final Logger LOG = LoggerFactory.getLogger(BertModel.class);

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
        String prefix = options.task() == Task.RERANKER ? BertWeights.prefix(config) : "";
        for (var e : w.entrySet()) {
            boolean head = e.getKey().startsWith("classifier.");
            parameters.add(new Parameter(head ? e.getKey() : prefix + e.getKey(), e.getValue(), true));
        }
    }

    /** Matches checkpoint names to the table; initialises a missing head; refuses a missing or unknown tensor. */
    private Map<String, NDArray> bind(Map<String, NDArray> checkpoint, NDManager manager, Path directory) {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        String prefix = BertWeights.prefix(config);
        for (var e : checkpoint.entrySet()) {
            String n = e.getKey();
            if (n.startsWith(prefix)) {
                n = n.substring(prefix.length());
            }
            byName.put(n, e.getValue());
        }
        List<String> expected = new ArrayList<>(BertWeights.encoder(config));
        List<String> head = options.task() == Task.RERANKER ? BertWeights.classificationHead(config) : List.of();
        Map<String, NDArray> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String n : expected) {
            NDArray a = byName.remove(n);
            if (a == null) {
                missing.add(n);
            } else {
                out.put(n, floating(a));
            }
        }
        if (!missing.isEmpty()) {
            throw new UserException(directory + ": the checkpoint lacks " + missing.size() + " encoder tensor(s): "
                    + abbreviate(missing) + " (is this a " + config.modelType() + " model?)");
        }
        List<String> initialised = new ArrayList<>();
        long seed = options.extra().get("seed") instanceof Number s ? s.longValue() : 42L;
        for (String n : head) {
            NDArray a = byName.remove(n);
            long[] shape = headShape(n);
            if (a != null && !java.util.Arrays.equals(a.getShape().getShape(), shape)) {
                LOG.warn("{}: {} has shape {} but the head needs {} (num_labels {}); initialising it anew",
                        directory, n, a.getShape(), new Shape(shape), options.numLabels());
                a = null;
            }
            if (a == null) {
                long count = new Shape(shape).size();
                a = n.endsWith(".bias") ? manager.zeros(new Shape(shape))
                        : manager.create(Ops.normal(count, config.initializerRange(), seed + n.hashCode()), new Shape(shape));
                initialised.add(n);
            }
            out.put(n, floating(a));
        }
        if (!initialised.isEmpty()) {
            LOG.warn("{}: newly initialised {} (normal, std {}); train it before use: {}", directory,
                    options.task() == Task.RERANKER ? "classification head" : "head", config.initializerRange(), initialised);
        }
        TreeSet<String> unexpected = new TreeSet<>();
        TreeSet<String> dropped = new TreeSet<>();
        for (String n : byName.keySet()) {
            (BertWeights.pretrainingHead(n) ? dropped : unexpected).add(n);
        }
        if (!unexpected.isEmpty()) {
            throw new UserException(directory + ": the checkpoint has " + unexpected.size()
                    + " tensor(s) that a " + config.modelType() + " model does not have: " + abbreviate(new ArrayList<>(unexpected)));
        }
        if (!dropped.isEmpty()) {
            LOG.info("{}: not used by a {} {}: {}", directory, config.modelType(), options.task().id(), abbreviate(new ArrayList<>(dropped)));
        }
        return out;
    }

    /** Float32, except float64 (kept for numerical checks such as finite differences). */
    private static NDArray floating(NDArray a) {
        return a.getDataType() == DataType.FLOAT64 ? a : a.toType(DataType.FLOAT32, false);
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

    private static String abbreviate(List<String> names) {
        return names.size() <= 8 ? String.join(", ", names) : String.join(", ", names.subList(0, 8)) + ", ... (" + names.size() + " in all)";
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
            positions = real.cumSum(1).sub(1).maximum(0L);
        }
        NDArray types = batch.tokenTypeIds() != null && config.typeVocabSize() > 1 ? batch.tokenTypeIds() : ids.zerosLike();
        NDArray x = Ops.embedding(ids, w.get("embeddings.word_embeddings.weight"))
                .add(Ops.embedding(positions, w.get("embeddings.position_embeddings.weight")))
                .add(Ops.embedding(types, w.get("embeddings.token_type_embeddings.weight")));
        x = Ops.layerNorm(x, w.get("embeddings.LayerNorm.weight"), w.get("embeddings.LayerNorm.bias"), config.layerNormEps());
        x = Ops.dropout(x, config.hiddenDropoutProb(), training);
        NDArray additive = Ops.paddingMask(mask, x.getDataType());
        long b = ids.getShape().get(0);
        int heads = config.numAttentionHeads();
        int dim = config.headDim();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
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
            x = Ops.layerNorm(h.add(x), w.get(p + "output.LayerNorm.weight"), w.get(p + "output.LayerNorm.bias"), config.layerNormEps());
        }
        return x;
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
