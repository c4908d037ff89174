package dev.winnow.core.lora;

import dev.winnow.nn.LoraTarget;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.Registrar;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.nn.Linears;
import dev.winnow.nn.Ops;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a PEFT LoRA adapter back, unmerged: a tiny two-layer model with a prefixed encoder (as BERT's {@code bert.})
 * and a classification head trained in full (modules_to_save) goes through save and load, as a bare adapter directory
 * and as an export marked unmerged, and scores exactly as the trained model; each adapted layer is checked against
 * {@code x W^T + b + scale (x A^T) B^T} computed by hand; every malformed adapter is a user error naming file and tensor.
 */
class LoraAdapterLoadTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ModelOptions OPTIONS = ModelOptions.of(Task.RERANKER).withNormalize(false);

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** embeddings -> dense(8->12), tanh -> dense(12->8) -> masked mean -> classifier(8->1). */
    static final class Tiny implements WinnowModel, LoraTarget {
        final Map<String, NDArray> w = new LinkedHashMap<>();
        final ParameterSet parameters = new ParameterSet();
        final Linears lin = new Linears(w, dev.winnow.nn.kernels.ComposedKernels.INSTANCE);

        Tiny(Map<String, NDArray> checkpoint) {
            checkpoint.forEach((name, a) -> {
                String own = name.startsWith("tiny.") ? name.substring("tiny.".length()) : name;
                w.put(own, a.toType(DataType.FLOAT32, false));
                parameters.add(new Parameter(name, w.get(own), true));
            });
        }

        @Override
        public Linears linears() {
            return lin;
        }

        @Override
        public List<String> linearModules() {
            return List.of("encoder.layer.0.dense", "encoder.layer.1.dense", "classifier");
        }

        @Override
        public List<String> headModules() {
            return List.of("classifier");
        }

        @Override
        public String architecture() {
            return "tiny";
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
        public NDArray forward(TokenBatch batch, boolean training) {
            NDArray x = Ops.embedding(batch.inputIds(), w.get("embeddings.weight"));
            NDArray h = lin.apply("encoder.layer.0.dense", x, training).tanh();
            h = lin.apply("encoder.layer.1.dense", h, training);
            NDArray mask = batch.attentionMask().toType(DataType.FLOAT32, false).expandDims(2);
            NDArray pooled = h.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}));
            return lin.apply("classifier", pooled, training).squeeze(1);
        }

        @Override
        public Map<String, Object> exportConfig() {
            return Map.of("model_type", "tiny");
        }

        @Override
        public double forwardFlops(long batch, long length) {
            return 0;
        }

        @Override
        public void close() {}
    }

    static final ComponentRegistry REGISTRY = ComponentRegistry.of(new WinnowPlugin() {
        @Override
        public String name() {
            return "tiny";
        }

        @Override
        public void register(Registrar r) {
            r.model("tiny", new ModelArchitecture() {
                @Override
                public Set<String> modelTypes() {
                    return Set.of("tiny");
                }

                @Override
                public Set<Task> tasks() {
                    return Set.of(Task.RERANKER);
                }

                @Override
                public String defaultTemplate(Task task) {
                    return "pair";
                }

                @Override
                public WinnowModel create(Path directory, Map<String, Object> configJson, Map<String, NDArray> weights,
                        ModelOptions options, NDManager manager) {
                    return new Tiny(weights);
                }
            });
        }
    });

    static Path baseModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"tiny\"}");
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("tiny.embeddings.weight", new long[] {16, 8});
        shapes.put("tiny.encoder.layer.0.dense.weight", new long[] {12, 8});
        shapes.put("tiny.encoder.layer.0.dense.bias", new long[] {12});
        shapes.put("tiny.encoder.layer.1.dense.weight", new long[] {8, 12});
        shapes.put("tiny.encoder.layer.1.dense.bias", new long[] {8});
        shapes.put("classifier.weight", new long[] {1, 8});
        shapes.put("classifier.bias", new long[] {1});
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            int i = 0;
            for (var e : shapes.entrySet()) {
                Shape s = new Shape(e.getValue());
                w.put(e.getKey(), m.create(Ops.normal(s.size(), 0.5, 40 + i++), s));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return dir;
    }

    static TokenBatch batch(NDManager m) {
        long[][] ids = {{1, 5, 9, 2}, {3, 3, 0, 0}, {15, 7, 4, 0}};
        long[][] mask = {{1, 1, 1, 1}, {1, 1, 0, 0}, {1, 1, 1, 0}};
        return new TokenBatch(m.create(ids), m.create(mask), null);
    }

    static WinnowModel load(ModelDirectory dir, NDManager m) {
        return new ModelLoader(REGISTRY).load(dir, "auto", OPTIONS, m);
    }

    /** Trains nothing, but gives the adapters and the head values as training would; returns the trained scores. */
    static float[] adaptAndSave(Path base, Path adapterDir, Lora.Config config, NDManager m) {
        WinnowModel model = load(ModelDirectory.of(base), m);
        Lora lora = Lora.apply(model, config, m);
        int seed = 0;
        for (var a : lora.adapters().values()) {
            a.b().set(Ops.normal(a.b().size(), 0.4, 900 + seed++));
        }
        NDArray head = model.parameters().get("classifier.weight").orElseThrow().array();
        head.set(Ops.normal(head.size(), 0.7, 77));
        lora.save(adapterDir, base.toAbsolutePath().toString());
        return model.forward(batch(m), false).toFloatArray();
    }

    @Test
    void aBareAdapterDirectoryLoadsOnItsBaseAndScoresExactlyAsTheTrainedModel(@TempDir Path dir) throws IOException {
        Path base = baseModel(dir.resolve("base"));
        Path adapter = dir.resolve("adapter");
        try (NDManager m = NDManager.newBaseManager()) {
            float[] trained = adaptAndSave(base, adapter, new Lora.Config(2, 6, 0.1, List.of("all-linear"), 1), m);
            float[] plain = load(ModelDirectory.of(base), m).forward(batch(m), false).toFloatArray();
            ModelDirectory source = ModelDirectory.locate(adapter.toString(), "main");
            assertEquals(base.toAbsolutePath(), source.path());
            assertEquals(adapter, source.adapter());
            WinnowModel reloaded = load(source, m);
            assertArrayEquals(trained, reloaded.forward(batch(m), false).toFloatArray(), 0f, "round trip gives identical scores");
            assertTrue(Math.abs(trained[0] - plain[0]) > 1e-3, "the adapter and head change the scores");

            // each adapted layer computes x W^T + b + (alpha / r) (x A^T) B^T, checked in double precision by hand
            Linears lin = ((LoraTarget) reloaded).linears();
            assertEquals(2, lin.adapters().size());
            try (SafetensorsReader weights = SafetensorsReader.open(base.resolve("model.safetensors"));
                    SafetensorsReader peft = SafetensorsReader.open(adapter.resolve("adapter_model.safetensors"))) {
                String module = "encoder.layer.0.dense";
                float[] w = weights.load("tiny." + module + ".weight", m).toFloatArray();
                float[] b = weights.load("tiny." + module + ".bias", m).toFloatArray();
                float[] a = peft.load("base_model.model.tiny." + module + ".lora_A.weight", m).toFloatArray();
                float[] bb = peft.load("base_model.model.tiny." + module + ".lora_B.weight", m).toFloatArray();
                float[] x = Ops.normal(2 * 8, 1.0, 5);
                float[] y = lin.apply(module, m.create(x, new Shape(2, 8)), false).toFloatArray();
                for (int row = 0; row < 2; row++) {
                    double[] ax = new double[2];
                    for (int r = 0; r < 2; r++) {
                        for (int i = 0; i < 8; i++) {
                            ax[r] += (double) a[r * 8 + i] * x[row * 8 + i];
                        }
                    }
                    for (int o = 0; o < 12; o++) {
                        double expected = b[o];
                        for (int i = 0; i < 8; i++) {
                            expected += (double) w[o * 8 + i] * x[row * 8 + i];
                        }
                        expected += 6.0 / 2 * (bb[o * 2] * ax[0] + bb[o * 2 + 1] * ax[1]);
                        assertEquals(expected, y[row * 12 + o], 1e-5, "row " + row + " out " + o);
                    }
                }
            }
        }
    }

    @Test
    void anExportMarkedUnmergedGetsItsAdapterAndOneMarkedMergedDoesNot(@TempDir Path dir) throws IOException {
        Path base = baseModel(dir.resolve("base"));
        Path export = dir.resolve("export");
        try (NDManager m = NDManager.newBaseManager()) {
            float[] trained = adaptAndSave(base, export.resolve("adapter"), new Lora.Config(3, 8, 0.0, List.of("dense"), 2), m);
            Files.copy(base.resolve("config.json"), export.resolve("config.json"));
            Files.copy(base.resolve("model.safetensors"), export.resolve("model.safetensors")); // base weights: not merged
            float[] plain = load(ModelDirectory.of(base), m).forward(batch(m), false).toFloatArray();

            ModelDirectory.writeExportInfo(export, "adapter", false);
            ModelDirectory unmerged = ModelDirectory.of(export);
            assertEquals(export.resolve("adapter"), unmerged.adapter());
            assertEquals(export, unmerged.tokenizerDir());
            assertArrayEquals(trained, load(unmerged, m).forward(batch(m), false).toFloatArray(), 0f);

            ModelDirectory.writeExportInfo(export, "adapter", true);
            assertNull(ModelDirectory.of(export).adapter());
            assertArrayEquals(plain, load(ModelDirectory.of(export), m).forward(batch(m), false).toFloatArray(), 0f,
                    "merged: the weights are used as they are");

            Files.delete(export.resolve(ModelDirectory.EXPORT_INFO));
            assertNull(ModelDirectory.of(export).adapter(), "no marker: a plain model directory");

            ModelDirectory.writeExportInfo(export, "missing", false);
            UserException e = assertThrows(UserException.class, () -> ModelDirectory.of(export));
            assertEquals(export.resolve("winnow_export.json") + " says the weights do not hold the LoRA adapter (merged: false), but "
                    + export.resolve("missing/adapter_config.json") + " does not exist; copy the whole export directory, adapter included",
                    e.getMessage());
        }
    }

    @Test
    void rsLoraScalesByTheSquareRootOfTheRank(@TempDir Path dir) throws IOException {
        Path base = baseModel(dir.resolve("base"));
        Path adapter = dir.resolve("adapter");
        try (NDManager m = NDManager.newBaseManager()) {
            adaptAndSave(base, adapter, new Lora.Config(4, 8, 0.0, List.of("all-linear"), 3), m);
            editConfig(adapter, c -> c.put("use_rslora", true));
            WinnowModel model = load(ModelDirectory.of(adapter), m);
            for (Linears.Adapter a : ((LoraTarget) model).linears().adapters().values()) {
                assertEquals(8 / Math.sqrt(4), a.scale(), 1e-12);
            }
        }
    }

    @Test
    void malformedAdaptersAreUserErrorsNamingTheFileAndTensor(@TempDir Path dir) throws IOException {
        Path base = baseModel(dir.resolve("base"));
        Path adapter = dir.resolve("adapter");
        Path file = adapter.resolve("adapter_model.safetensors");
        String a0 = "base_model.model.tiny.encoder.layer.0.dense.lora_A.weight";
        String b1 = "base_model.model.tiny.encoder.layer.1.dense.lora_B.weight";
        try (NDManager m = NDManager.newBaseManager()) {
            adaptAndSave(base, adapter, new Lora.Config(2, 4, 0.0, List.of("all-linear"), 4), m);
            byte[] good = Files.readAllBytes(file);

            editTensors(file, t -> t.remove(b1), m);
            assertEquals(file + ": lacks 1 tensor(s) for the layers that target_modules [dense] in adapter_config.json selects: " + b1,
                    error(adapter, m));

            Files.write(file, good);
            editTensors(file, t -> t.put("base_model.model.tiny.encoder.layer.7.dense.lora_A.weight", t.get(a0)), m);
            assertEquals(file + ": 1 tensor(s) match no linear layer or head of the tiny model: "
                    + "base_model.model.tiny.encoder.layer.7.dense.lora_A.weight; expected base_model.model.<module>.lora_A.weight / "
                    + "lora_B.weight with <module> such as tiny.encoder.layer.0.dense, tiny.encoder.layer.1.dense, or head tensors "
                    + "base_model.model.classifier.bias, base_model.model.classifier.weight", error(adapter, m));

            Files.write(file, good);
            editTensors(file, t -> t.put(a0, m.zeros(new Shape(2, 9))), m);
            assertEquals(file + ": tensor(s) with the wrong shape: " + a0 + " is (2, 9), expected (2, 8) ([r, in] with r = 2 from "
                    + "adapter_config.json)", error(adapter, m));

            Files.write(file, good);
            editConfig(adapter, c -> c.put("r", 4));
            assertTrue(error(adapter, m).startsWith(file + ": tensor(s) with the wrong shape: " + a0 + " is (2, 8), expected (4, 8)"));

            editConfig(adapter, c -> {
                c.put("r", 2);
                c.put("use_dora", true);
            });
            assertEquals(adapter.resolve("adapter_config.json") + ": use_dora true: DoRA adapters are not supported", error(adapter, m));

            editConfig(adapter, c -> {
                c.remove("use_dora");
                c.remove("base_model_name_or_path");
            });
            UserException e = assertThrows(UserException.class, () -> ModelDirectory.locate(adapter.toString(), "main"));
            assertEquals(adapter.resolve("adapter_config.json") + " has no base_model_name_or_path: set it to the base model's "
                    + "directory or Hub id", e.getMessage());

            editConfig(adapter, c -> c.put("base_model_name_or_path", dir.resolve("nowhere").toString()));
            e = assertThrows(UserException.class, () -> ModelDirectory.locate(adapter.toString(), "main"));
            assertTrue(e.getMessage().startsWith(adapter.resolve("adapter_config.json") + ": base_model_name_or_path '"
                    + dir.resolve("nowhere") + "' cannot be loaded: "), e.getMessage());
        }
    }

    private static String error(Path adapter, NDManager m) {
        return assertThrows(UserException.class, () -> load(ModelDirectory.locate(adapter.toString(), "main"), m)).getMessage();
    }

    private static void editTensors(Path file, Consumer<Map<String, NDArray>> edit, NDManager m) {
        Map<String, NDArray> tensors;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            tensors = new LinkedHashMap<>(r.loadAll(m));
        }
        edit.accept(tensors);
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
    }

    private static void editConfig(Path adapter, Consumer<Map<String, Object>> edit) throws IOException {
        Path file = adapter.resolve("adapter_config.json");
        Map<String, Object> c = JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
        edit.accept(c);
        Files.writeString(file, JSON.writeValueAsString(c));
    }
}
