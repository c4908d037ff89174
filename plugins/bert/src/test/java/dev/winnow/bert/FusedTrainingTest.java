package dev.winnow.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.text.Batches;
import dev.winnow.nn.Ops;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.kernels.KernelModule;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The training forward on TorchScript kernels runs each encoder layer as one fused module, differentiated by
 * libtorch's autograd, with the config's dropout inside the module. It must give the composed reference's output and
 * parameter gradients (fp32, within 1e-5 of each array's scale) with dropout live, from the same seed: the module
 * draws the same masks, in the same order, as the op-by-op layer.
 */
class FusedTrainingTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    private static BertConfig config(Map<String, Object> json) {
        return BertConfig.parse(json, Path.of("config.json"));
    }

    private static Map<String, Object> json(String type, double hiddenDropout, double attentionDropout, int layers) {
        Map<String, Object> json = BertFixtures.tinyConfig(type);
        json.put("hidden_dropout_prob", hiddenDropout);
        json.put("attention_probs_dropout_prob", attentionDropout);
        json.put("num_hidden_layers", layers);
        return json;
    }

    private static BertModel model(Map<String, Object> json, ModelOptions options, KernelMode kernels, NDManager m) {
        BertConfig c = config(json);
        return new BertModel(c, json, BertFixtures.tinyWeights(c, options.task(), m, DataType.FLOAT32, 17),
                BertFixtures.on(options, kernels, Precision.FP32), m, Path.of("tiny"));
    }

    /** The training output and the gradient of every trainable parameter for sum(output * r), from {@code seed}. */
    static Map<String, float[]> training(List<Parameter> trainable, Function<NDManager, NDArray> forward, long seed) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            trainable.forEach(p -> p.array().setRequiresGradient(true)); // call once per model: gradients accumulate
            Engine.getInstance().setRandomSeed((int) seed);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = forward.apply(m);
                Random r = new Random(5);
                float[] weights = new float[Math.toIntExact(y.size())];
                for (int i = 0; i < weights.length; i++) {
                    weights[i] = (float) r.nextGaussian();
                }
                gc.backward(y.mul(m.create(weights, y.getShape())).sum());
                out.put("output", y.toFloatArray());
            }
            for (Parameter p : trainable) {
                out.put(p.name(), p.array().getGradient().toFloatArray());
            }
        }
        return out;
    }

    /**
     * Every array of {@code got} within 1e-5 of the reference's scale, max(largest magnitude, 1): the key bias's
     * gradient is zero in exact arithmetic (softmax ignores a constant added to a query's scores), so its own scale
     * is rounding noise and cannot serve as a yardstick. Returns the worst difference over that scale.
     */
    static double assertScaleClose(Map<String, float[]> reference, Map<String, float[]> got) {
        assertEquals(reference.keySet(), got.keySet());
        double worst = 0;
        for (var e : reference.entrySet()) {
            float[] a = e.getValue();
            float[] b = got.get(e.getKey());
            assertEquals(a.length, b.length, e.getKey());
            double scale = 1;
            double d = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Float.isFinite(b[i]), e.getKey() + "[" + i + "] is not finite");
                scale = Math.max(scale, Math.abs(a[i]));
                d = Math.max(d, Math.abs(a[i] - b[i]));
            }
            assertTrue(d <= 1e-5 * scale, e.getKey() + " differs by " + d + " at scale " + scale);
            worst = Math.max(worst, d / scale);
        }
        return worst;
    }

    private static List<Parameter> trainable(BertModel model) {
        return List.copyOf(model.parameters().trainable());
    }

    @Test
    void fusedTrainingLayersEqualTheComposedPathWithDropoutLive() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String type : List.of("bert", "xlm-roberta")) {
                for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("mean"))) {
                    Map<String, Object> json = json(type, 0.1, 0.1, 2);
                    // three seeds: each one's masks must agree, also once libtorch's profiling executor has optimised
                    // the module (after its first calls)
                    for (long seed : new long[] {1, 2, 3}) {
                        BertModel composed = model(json, o, KernelMode.COMPOSED, m);
                        BertModel fused = model(json, o, KernelMode.TORCHSCRIPT, m);
                        Map<String, float[]> reference = training(trainable(composed), s -> composed.forward(BertModelTest.tinyBatch(s), true), seed);
                        Map<String, float[]> got = training(trainable(fused), s -> fused.forward(BertModelTest.tinyBatch(s), true), seed);
                        double worst = assertScaleClose(reference, got);
                        System.out.printf("BERT %s %s seed %d: fused training vs composed, worst scale-relative difference %.3g%n",
                                type, o.task().id(), seed, worst);
                        // dropout is live: the same seed's training output is not the inference output
                        float[] inference = fused.forward(BertModelTest.tinyBatch(m), false).toFloatArray();
                        assertFalse(java.util.Arrays.equals(inference, got.get("output")), "dropout must change the training output");
                    }
                    String code = BertModel.fusedProgram(config(json), Precision.FP32, true).code("y");
                    assertTrue(code.contains("torch.dropout"), code);
                    assertTrue(KernelModule.loaded(code, Device.cpu()), "the fused training layer must be the one that ran");
                }
            }
        }
    }

    /** Without dropout a training forward is padding invariant on the fused layers (right and left padding). */
    @Test
    void fusedTrainingForwardIsPaddingInvariant() {
        List<Encoded> inputs = List.of(new Encoded(new long[] {2, 5, 9, 3, 7, 12, 4}, new long[] {0, 0, 0, 1, 1, 1, 1}, false),
                new Encoded(new long[] {2, 11, 3}, new long[] {0, 0, 1}, false),
                new Encoded(new long[] {2, 30, 31, 8, 3}, new long[] {0, 0, 0, 0, 1}, false));
        try (NDManager m = NDManager.newBaseManager()) {
            for (String type : List.of("bert", "xlm-roberta")) {
                Map<String, Object> json = json(type, 0.0, 0.0, 2);
                long pad = type.equals("bert") ? 0 : 1;
                for (ModelOptions o : List.of(BertFixtures.reranker(), BertFixtures.embedding("mean"))) {
                    BertModel fused = model(json, o, KernelMode.TORCHSCRIPT, m);
                    for (boolean left : new boolean[] {false, true}) {
                        float[] batched = fused.forward(Batches.pad(inputs, pad, left, m), true).toFloatArray();
                        int width = batched.length / inputs.size();
                        for (int i = 0; i < inputs.size(); i++) {
                            float[] alone = fused.forward(Batches.pad(List.of(inputs.get(i)), pad, left, m), true).toFloatArray();
                            for (int j = 0; j < width; j++) {
                                assertEquals(alone[j], batched[i * width + j], 2e-5, type + " " + o.task().id() + " left=" + left);
                            }
                        }
                    }
                }
                assertTrue(KernelModule.loaded(BertModel.fusedProgram(config(json), Precision.FP32, true).code("y"), Device.cpu()));
            }
        }
    }

    /**
     * A LoRA adapter is a product the fused layer does not compute, so with adapters attached the training forward
     * falls back to the op-by-op layer (never loading the fused module), and its output equals the composed path's
     * from the same seed, dropout live.
     */
    @Test
    void loraTrainingFallsBackToTheOpByOpLayer() {
        try (NDManager m = NDManager.newBaseManager()) {
            // a config of its own (3 layers, dropout 0.2), so no other test has loaded its fused module
            Map<String, Object> json = json("bert", 0.2, 0.2, 3);
            Map<KernelMode, float[]> results = new LinkedHashMap<>();
            for (KernelMode kernels : List.of(KernelMode.COMPOSED, KernelMode.TORCHSCRIPT)) {
                BertModel model = model(json, BertFixtures.reranker(), kernels, m);
                Lora lora = Lora.apply(model, new Lora.Config(4, 8, 0.1, List.of("all-linear"), 3), m);
                int i = 0;
                for (var a : lora.adapters().values()) {
                    a.b().set(Ops.normal(a.b().size(), 0.2, 50 + i++)); // B = 0 would make the adapters a no-op
                }
                Engine.getInstance().setRandomSeed(7);
                results.put(kernels, model.forward(BertModelTest.tinyBatch(m), true).toFloatArray());
            }
            double worst = assertScaleClose(Map.of("output", results.get(KernelMode.COMPOSED)),
                    Map.of("output", results.get(KernelMode.TORCHSCRIPT)));
            System.out.printf("BERT LoRA training forward, op-by-op TorchScript vs composed: worst scale-relative difference %.3g%n", worst);
            BertConfig c = config(json);
            assertFalse(KernelModule.loaded(BertModel.fusedProgram(c, Precision.FP32, true).code("y"), Device.cpu()));
            assertFalse(KernelModule.loaded(BertModel.fusedProgram(c, Precision.FP32, false).code("y"), Device.cpu()));
        }
    }
}
