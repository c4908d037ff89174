package dev.winnow.modernbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.text.Encoded;
import dev.winnow.nn.engine.WinnowEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tiny seeded random ModernBERTs of test resources (modernbert/modernbert_reference.py, a float64 numpy reference
 * written from transformers' modeling_modernbert.py): variant {@code plain} has the published settings (no biases,
 * mean pooling), {@code biased} every bias and cls pooling; 4 layers (0 and 3 global, 1 and 2 local) and a window of 8
 * that the longer rows exceed.
 */
final class ModernBertFixtures {
    private ModernBertFixtures() {}

    static final long PAD = 3;
    private static Map<String, Object> fixture;

    @SuppressWarnings("unchecked")
    static synchronized Map<String, Object> fixture() {
        if (fixture == null) {
            WinnowEngine.start();
            try (InputStream in = ModernBertFixtures.class.getResourceAsStream("/modernbert/tiny_modernbert.json")) {
                fixture = new ObjectMapper().readValue(in, Map.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fixture;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> variant(String name) {
        return (Map<String, Object>) ((Map<String, Object>) fixture().get("variants")).get(name);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> config(String variant) {
        return new LinkedHashMap<>((Map<String, Object>) variant(variant).get("config"));
    }

    /** The reference's weights under their ModernBertForSequenceClassification names, in {@code type}. */
    @SuppressWarnings("unchecked")
    static Map<String, NDArray> weights(String variant, NDManager m, DataType type) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        ((Map<String, Map<String, Object>>) variant(variant).get("weights")).forEach((name, t) -> {
            List<Number> shape = (List<Number>) t.get("shape");
            List<Number> data = (List<Number>) t.get("data");
            double[] values = new double[data.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = data.get(i).doubleValue();
            }
            w.put(name, m.create(values, new Shape(shape.stream().mapToLong(Number::longValue).toArray())).toType(type, false));
        });
        return w;
    }

    static ModelOptions reranker(KernelMode kernels, Precision precision) {
        return ModelOptions.of(Task.RERANKER).withNormalize(false).withKernels(kernels, precision);
    }

    static ModelOptions embedding(String pooling, KernelMode kernels) {
        return ModelOptions.of(Task.EMBEDDING).withPooling(pooling).withNormalize(false).withKernels(kernels, Precision.FP32);
    }

    static ModernBertModel model(Map<String, Object> json, Map<String, NDArray> weights, ModelOptions options, NDManager m) {
        return new ModernBertModel(ModernBertConfig.parse(json, Path.of("config.json")), json, weights, options, m, Path.of("tiny"));
    }

    static ModernBertModel reranker(String variant, NDManager m, DataType type, KernelMode kernels) {
        return model(config(variant), weights(variant, m, type), reranker(kernels, Precision.FP32), m);
    }

    @SuppressWarnings("unchecked")
    static List<Encoded> rows() {
        List<Encoded> out = new ArrayList<>();
        for (List<Number> row : (List<List<Number>>) fixture().get("rows")) {
            long[] ids = row.stream().mapToLong(Number::longValue).toArray();
            out.add(new Encoded(ids, new long[ids.length], false));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Double> scores(String variant) {
        List<Double> out = new ArrayList<>();
        for (Number n : (List<Number>) variant(variant).get("scores")) {
            out.add(n.doubleValue());
        }
        return out;
    }

    /** Each row's final-norm hidden states, flattened {@code [L * H]}. */
    @SuppressWarnings("unchecked")
    static List<double[]> hidden(String variant) {
        List<double[]> out = new ArrayList<>();
        for (List<Number> row : (List<List<Number>>) variant(variant).get("hidden")) {
            out.add(row.stream().mapToDouble(Number::doubleValue).toArray());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> probes(String variant) {
        return (List<Map<String, Object>>) variant(variant).get("probes");
    }
}
