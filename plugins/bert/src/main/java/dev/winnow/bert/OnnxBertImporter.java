package dev.winnow.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelImporter;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.onnx.OnnxModel;
import dev.winnow.nn.onnx.OnnxModel.Initializer;
import dev.winnow.nn.onnx.OnnxModel.Node;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a BERT exported to ONNX (as in the langchain4j embedding jars) back into a Hugging Face model directory.
 *
 * <p>Most initializers keep their Hugging Face names. Linear weights do not: the exporter folds them into
 * {@code MatMul} nodes as {@code onnx::MatMul_N} inputs, stored as {@code [in, out]}. Each is named from the node
 * that consumes it, whose output spells the module path ({@code /encoder/layer.0/attention/self/query/MatMul_output_0}
 * is {@code encoder.layer.0.attention.self.query.weight}), and transposed back to {@code [out, in]}. The
 * attention head count is read from the constants of the first attention's reshape.
 *
 * <p>Registered as the {@code onnx-bert} importer: {@code maven:} model sources and {@code runner import-onnx} use it
 * for any ONNX file whose initializers include {@code embeddings.word_embeddings.weight}.
 */
public final class OnnxBertImporter implements ModelImporter {
    private static final Pattern MATMUL_OUTPUT = Pattern.compile("^/(.+)/MatMul(?:_\\d+)?_output_0$");
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    @Override
    public String extension() {
        return "onnx";
    }

    @Override
    public boolean accepts(Path modelFile) {
        if (!modelFile.getFileName().toString().endsWith(".onnx")) {
            return false;
        }
        try {
            return OnnxModel.read(modelFile).initializers().stream()
                    .anyMatch(i -> i.name().equals("embeddings.word_embeddings.weight"));
        } catch (UserException | UncheckedIOException e) {
            return false;
        }
    }

    @Override
    public void importTo(Path modelFile, Path tokenizerJson, Path outDir) {
        WinnowEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            importTo(modelFile, tokenizerJson, outDir, m);
        }
    }

    /** The imported weights (Hugging Face names) and the derived {@code config.json}. */
    public record Imported(Map<String, NDArray> weights, Map<String, Object> config) {}

    public static Imported read(Path onnxFile, NDManager manager) {
        OnnxModel model = OnnxModel.read(onnxFile);
        Map<String, String> consumer = new HashMap<>();
        for (Node n : model.nodes()) {
            if (n.opType().equals("MatMul") && n.inputs().size() == 2 && n.outputs().size() == 1) {
                consumer.put(n.inputs().get(1), n.outputs().get(0));
            }
        }
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Initializer init : model.initializers()) {
            String name = init.name();
            if (name.equals("embeddings.position_ids")) {
                continue; // a buffer, not a weight
            }
            if (init.dataType() != OnnxModel.FLOAT) {
                continue;
            }
            NDArray array = manager.create(init.floats(), new Shape(init.dims()));
            if (name.startsWith("onnx::MatMul")) {
                String output = consumer.get(name);
                Matcher m = output == null ? null : MATMUL_OUTPUT.matcher(output);
                if (m == null || !m.matches()) {
                    throw new UserException(onnxFile + ": cannot tell which module the MatMul weight " + name
                            + " belongs to (its node output is " + output + ")");
                }
                name = m.group(1).replace('/', '.') + ".weight";
                array = array.transpose().duplicate();
            }
            weights.put(name, array);
        }
        return new Imported(weights, config(onnxFile, model, weights));
    }

    /** Imports into {@code outDir}: config.json, model.safetensors, tokenizer.json and tokenizer_config.json. */
    public static Path importTo(Path onnxFile, Path tokenizerJson, Path outDir, NDManager manager) {
        Imported imported = read(onnxFile, manager);
        try {
            Files.createDirectories(outDir);
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            Files.writeString(outDir.resolve("config.json"), json.writeValueAsString(imported.config()) + "\n");
            SafetensorsWriter.write(outDir.resolve("model.safetensors"), imported.weights(),
                    Map.of("format", "pt", "source", onnxFile.getFileName().toString()));
            Files.copy(tokenizerJson, outDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
            Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
            tokenizerConfig.put("model_max_length", imported.config().get("max_position_embeddings"));
            tokenizerConfig.put("padding_side", "right");
            tokenizerConfig.put("pad_token", "[PAD]");
            tokenizerConfig.put("cls_token", "[CLS]");
            tokenizerConfig.put("sep_token", "[SEP]");
            tokenizerConfig.put("unk_token", "[UNK]");
            tokenizerConfig.put("mask_token", "[MASK]");
            tokenizerConfig.put("do_lower_case", true);
            tokenizerConfig.put("tokenizer_class", "BertTokenizer");
            Files.writeString(outDir.resolve("tokenizer_config.json"), json.writeValueAsString(tokenizerConfig) + "\n");
            return outDir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the imported model to " + outDir, e);
        }
    }

    static Map<String, Object> config(Path file, OnnxModel model, Map<String, NDArray> w) {
        NDArray words = require(w, "embeddings.word_embeddings.weight", file);
        long hidden = words.getShape().get(1);
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : w.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("vocab_size", words.getShape().get(0));
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers.size());
        c.put("num_attention_heads", heads(model, hidden, file));
        c.put("intermediate_size", require(w, "encoder.layer.0.intermediate.dense.bias", file).getShape().get(0));
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("max_position_embeddings", require(w, "embeddings.position_embeddings.weight", file).getShape().get(0));
        c.put("type_vocab_size", require(w, "embeddings.token_type_embeddings.weight", file).getShape().get(0));
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", 1e-12);
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        return c;
    }

    /** The heads of the first attention: the constants (heads, head_dim) that its Concat feeds to Reshape. */
    static int heads(OnnxModel model, long hidden, Path file) {
        Map<String, Long> scalars = new HashMap<>();
        for (Node n : model.nodes()) {
            if (n.opType().equals("Constant") && n.constantInts().length == 1 && n.outputs().size() == 1) {
                scalars.put(n.outputs().get(0), n.constantInts()[0]);
            }
        }
        for (Node n : model.nodes()) {
            if (!n.opType().equals("Concat") || !n.name().startsWith("/encoder/layer.0/attention/self/")) {
                continue;
            }
            List<Long> values = new ArrayList<>();
            for (String in : n.inputs()) {
                Long v = scalars.get(in);
                if (v != null) {
                    values.add(v);
                }
            }
            for (int i = 0; i + 1 < values.size(); i++) {
                if (values.get(i) * values.get(i + 1) == hidden && values.get(i) > 0) {
                    return values.get(i).intValue();
                }
            }
        }
        throw new UserException(file + ": cannot find the attention head count in the graph");
    }

    private static NDArray require(Map<String, NDArray> w, String name, Path file) {
        NDArray a = w.get(name);
        if (a == null) {
            throw new UserException(file + " is not a BERT export: it has no initializer " + name);
        }
        return a;
    }
}
