package dev.winnow.deberta;

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
import dev.winnow.deberta.DebertaOptions.Head;
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
 * The tiny seeded random DeBERTas of test resources (deberta/reference.py, a float64 numpy reference written from
 * transformers' modeling_deberta_v2.py): variant {@code v3} has deberta-v3-base's settings (shared keys, log buckets,
 * rel-embedding LayerNorm, no absolute positions, no token types), {@code v2} separate position projections, no
 * buckets, absolute positions and token types; 3 layers, hidden 16, 2 heads; the longest row exceeds the relative span.
 */
final class DebertaFixtures {
    private DebertaFixtures() {}

    static final long PAD = 0;
    static final List<String> VARIANTS = List.of("v3", "v2");
    private static Map<String, Object> fixture;

    @SuppressWarnings("unchecked")
    static synchronized Map<String, Object> fixture() {
        if (fixture == null) {
            WinnowEngine.start();
            try (InputStream in = DebertaFixtures.class.getResourceAsStream("/deberta/tiny_deberta.json")) {
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

    /** The reference's weights under their DebertaV2ForSequenceClassification names, in {@code type}. */
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

    static ModelOptions reranker(KernelMode kernels, Precision precision, Head head) {
        return ModelOptions.of(Task.RERANKER).withKernels(kernels, precision).withArchitectureOptions(new DebertaOptions(head));
    }

    static ModelOptions reranker(KernelMode kernels) {
        return reranker(kernels, Precision.FP32, null);
    }

    static DebertaModel model(Map<String, Object> json, Map<String, NDArray> weights, ModelOptions options, NDManager m) {
        return new DebertaModel(DebertaConfig.parse(json, Path.of("config.json")), json, weights, options, m, Path.of("tiny"));
    }

    static DebertaModel reranker(String variant, NDManager m, DataType type, KernelMode kernels, Head head) {
        return model(config(variant), weights(variant, m, type), reranker(kernels, Precision.FP32, head), m);
    }

    static DebertaModel reranker(String variant, NDManager m, DataType type, KernelMode kernels) {
        return reranker(variant, m, type, kernels, null);
    }

    /** The rows with their token types (0 up to the first [SEP], 1 after), as the pair template makes them. */
    @SuppressWarnings("unchecked")
    static List<Encoded> rows() {
        List<Encoded> out = new ArrayList<>();
        List<List<Number>> rows = (List<List<Number>>) fixture().get("rows");
        List<List<Number>> types = (List<List<Number>>) fixture().get("token_types");
        for (int r = 0; r < rows.size(); r++) {
            out.add(new Encoded(rows.get(r).stream().mapToLong(Number::longValue).toArray(),
                    types.get(r).stream().mapToLong(Number::longValue).toArray(), false));
        }
        return out;
    }

    static List<Double> doubles(String variant, String key) {
        List<Double> out = new ArrayList<>();
        for (Object n : (List<?>) variant(variant).get(key)) {
            out.add(((Number) n).doubleValue());
        }
        return out;
    }

    /** Each row's last hidden states, flattened {@code [L * H]}. */
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
