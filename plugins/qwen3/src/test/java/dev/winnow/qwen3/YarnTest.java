package dev.winnow.qwen3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.Ops;
import dev.winnow.core.text.Batches;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * YaRN rope scaling against values computed independently with numpy from transformers' formulas
 * ({@code src/test/resources/yarn_reference.py} prints them), and in the decoder against an equivalent model.
 */
class YarnTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    private static Yarn parse(Map<String, Object> scaling, int maxPositions) {
        Map<String, Object> json = Qwen3ModelTest.tinyConfig();
        json.put("max_position_embeddings", maxPositions);
        json.put("rope_scaling", scaling);
        return Qwen3Config.parse(json, Path.of("config.json")).yarn();
    }

    private static void assertClose(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-12 * Math.max(1, Math.abs(expected[i])) + 1e-15, "inv_freq[" + i + "]");
        }
    }

    @Test
    void defaultsTruncatedRampAndAttentionFactorMatchTheReference() {
        // case A: theta 1e4, dim 16, factor 4, original context 256, beta 32/1, truncate: the ramp runs over dims 0..4
        Yarn y = parse(Map.of("rope_type", "yarn", "factor", 4.0, "original_max_position_embeddings", 256), 4096);
        assertEquals(1.138629436111989, y.attentionFactor(), 1e-15);
        assertClose(new double[] {1.0, 0.2569350598886808, 0.0625, 0.01383496476323666, 0.0025, 0.000790569415042095, 0.00025,
                7.905694150420948e-05}, y.inverseFrequencies(10000.0, 16));
    }

    @Test
    void explicitBetasMscalesAndNoTruncationMatchTheReference() {
        // case B: beta_fast 16, beta_slow 2, mscale 1 / mscale_all_dim 0.5, truncate false (fractional ramp ends)
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "yarn"); // the legacy key name
        s.put("factor", 4);
        s.put("original_max_position_embeddings", 256);
        s.put("beta_fast", 16);
        s.put("beta_slow", 2);
        s.put("mscale", 1.0);
        s.put("mscale_all_dim", 0.5);
        s.put("truncate", false);
        Yarn y = parse(s, 4096);
        assertEquals(1.0648216253695715, y.attentionFactor(), 1e-15);
        assertClose(new double[] {1.0, 0.2915256200879948, 0.050664394391007964, 0.007905694150420948, 0.0025, 0.000790569415042095,
                0.00025, 7.905694150420948e-05}, y.inverseFrequencies(10000.0, 16));
        // an explicit attention_factor wins over the mscales
        s.put("attention_factor", 0.9);
        assertEquals(0.9, parse(s, 4096).attentionFactor());
    }

    @Test
    void qwen3LongContextSettingsMatchTheReference() {
        // case C: Qwen3's documented yarn settings (factor 4 over 32768), theta 1e6, head_dim 128
        Yarn y = parse(Map.of("rope_type", "yarn", "factor", 4.0, "original_max_position_embeddings", 32768), 40960);
        double[] inv = y.inverseFrequencies(1_000_000.0, 128);
        assertEquals(64, inv.length);
        Map<Integer, Double> expected = Map.of(0, 1.0, 20, 0.01333521432163324, 24, 0.005375321490790102, 31,
                0.0008029597275452302, 32, 0.0006029411764705882, 40, 4.445698525097307e-05, 63, 3.102344401879299e-07);
        expected.forEach((i, v) -> assertEquals(v, inv[i], 1e-12 * v, "inv_freq[" + i + "]"));
        assertEquals(1.138629436111989, y.attentionFactor(), 1e-15);
    }

    @Test
    void factorDefaultsFromTheContextRatioAndOriginalContextFromMaxPositions() {
        Yarn ratio = parse(Map.of("rope_type", "yarn", "original_max_position_embeddings", 1024), 4096);
        assertEquals(4.0, ratio.factor());
        Yarn noOriginal = parse(Map.of("rope_type", "yarn", "factor", 2.0), 4096);
        assertEquals(4096.0, noOriginal.originalMaxPositionEmbeddings());
        assertEquals(32.0, noOriginal.betaFast());
        assertEquals(1.0, noOriginal.betaSlow());
        assertEquals(true, noOriginal.truncate());
        assertNull(parse(Map.of("rope_type", "default"), 4096));
    }

    @Test
    void mistakesNameTheKeyAndUnknownTypesListTheSupportedOnes() {
        UserException e = assertThrows(UserException.class, () -> parse(Map.of("rope_type", "longrope", "factor", 4.0), 4096));
        assertEquals("config.json: rope_scaling type 'longrope' is not supported; supported: default, linear, dynamic, yarn", e.getMessage());
        e = assertThrows(UserException.class, () -> parse(Map.of("rope_type", "yarn"), 4096));
        assertEquals("config.json: rope_scaling type 'yarn' needs 'factor' (or 'original_max_position_embeddings', from which "
                + "factor = max_position_embeddings / original_max_position_embeddings)", e.getMessage());
        e = assertThrows(UserException.class, () -> parse(Map.of("rope_type", "yarn", "factor", 4.0, "truncate", "yes"), 4096));
        assertEquals("config.json: rope_scaling.truncate must be true or false, found yes", e.getMessage());
        e = assertThrows(UserException.class, () -> parse(Map.of("rope_type", "yarn", "factor", "4"), 4096));
        assertEquals("config.json: rope_scaling.factor must be a number, found 4", e.getMessage());
        e = assertThrows(UserException.class, () -> parse(Map.of("rope_type", "yarn", "factor", 0.5), 4096));
        assertEquals("config.json: rope_scaling.factor must be a number >= 1 for yarn, found 0.5", e.getMessage());
    }

    /**
     * In the decoder: with an original context so long that every dimension turns fewer than beta_slow times, YaRN
     * interpolates all of them, i.e. it is linear scaling by the factor; its attention factor multiplies q and k after
     * rotation, which equals scaling the q/k norm weights (the rotation is linear). So the yarn model must equal a
     * linear-scaling model whose q_norm and k_norm weights are multiplied by the attention factor.
     */
    @Test
    void inTheDecoderYarnEqualsLinearScalingWithScaledQueryAndKeyNorms() {
        try (NDManager m = NDManager.newBaseManager()) {
            double attention = 1.3;
            Map<String, Object> yarnJson = Qwen3ModelTest.tinyConfig();
            yarnJson.put("rope_scaling", Map.of("rope_type", "yarn", "factor", 3.0, "original_max_position_embeddings", 1e12,
                    "attention_factor", attention));
            Map<String, Object> linearJson = Qwen3ModelTest.tinyConfig();
            linearJson.put("rope_scaling", Map.of("rope_type", "linear", "factor", 3.0));
            Qwen3Config yc = Qwen3Config.parse(yarnJson, Path.of("config.json"));
            Qwen3Config lc = Qwen3Config.parse(linearJson, Path.of("config.json"));
            Map<String, NDArray> weights = new LinkedHashMap<>();
            Map<String, NDArray> scaled = new LinkedHashMap<>();
            int i = 0;
            for (String name : Qwen3Weights.names(yc)) {
                Shape shape = new Shape(Qwen3Weights.shape(yc, name));
                NDArray a = name.endsWith("norm.weight") ? m.ones(shape).add(m.create(Ops.normal(shape.size(), 0.1, i), shape))
                        : m.create(Ops.normal(shape.size(), 0.3, 1000 + i), shape);
                weights.put(name, a);
                scaled.put(name, name.endsWith("q_norm.weight") || name.endsWith("k_norm.weight") ? a.mul((float) attention) : a);
                i++;
            }
            ModelOptions options = ModelOptions.of(Task.EMBEDDING).withPooling("last").withNormalize(false);
            TokenBatch batch = Batches.pad(Qwen3ModelTest.INPUTS, 0, true, m);
            float[] yarn = new Qwen3Model(yc, yarnJson, weights, options, Path.of("tiny")).forward(batch, false).toFloatArray();
            float[] linear = new Qwen3Model(lc, linearJson, scaled, options, Path.of("tiny")).forward(batch, false).toFloatArray();
            Map<String, Object> plainJson = Qwen3ModelTest.tinyConfig();
            float[] plain = new Qwen3Model(Qwen3Config.parse(plainJson, Path.of("config.json")), plainJson, weights, options, Path.of("tiny"))
                    .forward(batch, false).toFloatArray();
            double differs = 0;
            for (int k = 0; k < yarn.length; k++) {
                assertEquals(linear[k], yarn[k], 1e-4 * Math.max(1, Math.abs(linear[k])), "output " + k);
                differs += Math.abs(yarn[k] - plain[k]);
            }
            assertEquals(true, differs > 1e-2, "yarn changes the outputs, difference " + differs);
        }
    }
}
