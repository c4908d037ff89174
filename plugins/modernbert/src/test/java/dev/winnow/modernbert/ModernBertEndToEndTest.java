package dev.winnow.modernbert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.export.ExportRequest;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.hfexport.HfExportConfig;
import dev.winnow.hfexport.HfExporter;
import dev.winnow.nn.Ops;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ModernBertForSequenceClassification directory (tiny random weights over ModernBERT's 50368-token vocabulary, a
 * tokenizer.json of ModernBERT's kind with its special-token ids) goes through the framework's CrossEncoder (model
 * loader, default pair template, DJL's Hugging Face tokenizer) and the hf exporter, and loads back with equal scores.
 */
class ModernBertEndToEndTest {
    static final List<TextPair> PAIRS = List.of(new TextPair("what is panda?", "hi"),
            new TextPair("what is panda?", "The giant panda is a bear species endemic to China."),
            new TextPair("what is panda?", "a bear"));

    static Map<String, Object> config() {
        Map<String, Object> c = ModernBertFixtures.config("plain");
        c.put("vocab_size", 50368);
        c.put("pad_token_id", 50283);
        c.put("cls_token_id", 50281);
        c.put("sep_token_id", 50282);
        c.put("bos_token_id", 50281);
        c.put("eos_token_id", 50282);
        return c;
    }

    /** A classification checkpoint with seeded random weights, the tokenizer files beside it. */
    static Path directory(Path dir, NDManager m) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> config = config();
        ModernBertConfig c = ModernBertConfig.parse(config, dir.resolve("config.json"));
        Map<String, NDArray> w = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        ModernBertWeights.encoder(c).forEach(n -> names.add("model." + n));
        names.addAll(ModernBertWeights.predictionHead(c));
        names.addAll(ModernBertWeights.classifier());
        int seed = 0;
        for (String n : names) {
            Shape shape = shape(c, n);
            w.put(n, n.endsWith("norm.weight") ? m.ones(shape) : m.create(Ops.normal(shape.size(), 0.3, seed++), shape));
        }
        Files.writeString(dir.resolve("config.json"), new ObjectMapper().writeValueAsString(config));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            TestResources.copyResource("modernbert/tokenizer/" + f, dir.resolve(f));
        }
        return dir;
    }

    static Shape shape(ModernBertConfig c, String n) {
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        if (n.endsWith("tok_embeddings.weight")) {
            return new Shape(c.vocabSize(), h);
        }
        boolean weight = n.endsWith(".weight");
        if (n.contains("attn.Wqkv")) {
            return weight ? new Shape(3 * h, h) : new Shape(3 * h);
        }
        if (n.contains("mlp.Wi")) {
            return weight ? new Shape(2 * f, h) : new Shape(2 * f);
        }
        if (n.contains("mlp.Wo")) {
            return weight ? new Shape(h, f) : new Shape(h);
        }
        if (n.startsWith("classifier.")) {
            return weight ? new Shape(1, h) : new Shape(1);
        }
        return weight && (n.contains("attn.Wo") || n.equals("head.dense.weight")) ? new Shape(h, h) : new Shape(h);
    }

    /** [CLS] query [SEP] document [SEP] with ids 50281 / 50282, padding with [PAD] 50283. */
    @Test
    void theTokenizerAddsModernBertsSpecialTokens(@TempDir Path tmp) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); HfTokenizer tok = HfTokenizer.load(directory(tmp.resolve("m"), m))) {
            assertEquals(50283, tok.padId());
            Encoded pair = tok.encodePair("what is panda?", "a bear", 512, Truncation.ONLY_SECOND);
            long[] ids = pair.ids();
            long[] query = tok.encode("what is panda?", false).ids();
            long[] doc = tok.encode("a bear", false).ids();
            assertEquals(3 + query.length + doc.length, ids.length);
            assertEquals(50281, ids[0]);
            assertEquals(50282, ids[1 + query.length]);
            assertEquals(50282, ids[ids.length - 1]);
            assertArrayEquals(new long[] {50281, 50282}, tok.encode("", true).ids());
            // byte-level BPE with the merges: " panda" and " bear" are single tokens, "?" a byte
            assertEquals(4, query.length, java.util.Arrays.toString(query));
            assertEquals(2, doc.length, java.util.Arrays.toString(doc));
        }
    }

    @Test
    void crossEncoderScoresEqualTheModelAndSurviveExport(@TempDir Path tmp) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = directory(tmp.resolve("m"), m);
            float[] scores;
            try (CrossEncoder ce = CrossEncoder.load(dir)) {
                assertEquals("modernbert", ce.model().architecture());
                scores = ce.predict(PAIRS);
                // the same scores by hand: the tokenizer's pairs, right padding, the model's forward
                try (HfTokenizer tok = HfTokenizer.load(dir); SafetensorsReader r = SafetensorsReader.open(dir)) {
                    List<Encoded> pairs = new ArrayList<>();
                    for (TextPair p : PAIRS) {
                        pairs.add(tok.encodePair(p.query(), p.document(), 512, Truncation.ONLY_SECOND));
                    }
                    ModernBertModel model = ModernBertFixtures.model(config(), r.loadAll(m),
                            ModernBertFixtures.reranker(dev.winnow.api.model.KernelMode.AUTO, dev.winnow.api.model.Precision.FP32), m);
                    float[] direct = model.forward(Batches.pad(pairs, tok.padId(), false, m), false).toFloatArray();
                    assertArrayEquals(direct, scores, 1e-5f);
                }
                Path out = tmp.resolve("export");
                new HfExporter(new HfExportConfig(5_000_000_000L, HfExportConfig.Activation.SIGMOID, true))
                        .export(new ExportRequest(ce.model(), dir, out, "", Map.of()));
                @SuppressWarnings("unchecked")
                Map<String, Object> exported = new ObjectMapper().readValue(out.resolve("config.json").toFile(), Map.class);
                assertEquals(List.of("ModernBertForSequenceClassification"), exported.get("architectures"));
                assertEquals(Map.of("activation_fn", "torch.nn.modules.activation.Sigmoid", "version", "winnow"),
                        exported.get("sentence_transformers"));
                try (SafetensorsReader r = SafetensorsReader.open(out)) {
                    Map<String, NDArray> tensors = r.loadAll(m);
                    assertTrue(tensors.containsKey("model.layers.3.mlp.Wi.weight"), tensors.keySet().toString());
                    assertTrue(tensors.containsKey("head.dense.weight"));
                    assertTrue(tensors.containsKey("classifier.bias"));
                }
                assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
                try (CrossEncoder again = CrossEncoder.load(out)) {
                    assertArrayEquals(scores, again.predict(PAIRS), 0f);
                }
            }
            System.out.printf("ModernBERT CrossEncoder scores %s%n", java.util.Arrays.toString(scores));
        }
    }
}
