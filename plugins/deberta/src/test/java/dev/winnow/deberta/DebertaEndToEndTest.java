package dev.winnow.deberta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.export.ExportRequest;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.deberta.DebertaOptions.Head;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A DeBERTa-v3 directory (tiny random weights over DeBERTa-v3's 128100-token vocabulary, a tokenizer.json of the kind
 * transformers converts from its spm.model, with its special-token ids) goes through the framework's CrossEncoder
 * (model loader, default pair template, DJL's Hugging Face tokenizer) and the hf exporter, and loads back with equal
 * scores, with either head.
 */
class DebertaEndToEndTest {
    static final List<TextPair> PAIRS = List.of(new TextPair("what is panda?", "hi"),
            new TextPair("what is panda?", "The giant panda is a bear species endemic to China."),
            new TextPair("what is panda?", "a bear"));

    /** The v3 fixture's config over DeBERTa-v3's vocabulary and the 512 positions its relative buckets assume. */
    static Map<String, Object> config(Head head) {
        Map<String, Object> c = DebertaFixtures.config("v3");
        c.put("vocab_size", 128100);
        c.put("max_position_embeddings", 512);
        c.put("position_buckets", 256);
        if (head == Head.MEAN) {
            c.put("pooling_method", "mean");
        }
        return c;
    }

    /** A checkpoint with seeded random weights (the head's too), the tokenizer files beside it. */
    static Path directory(Path dir, Head head, NDManager m) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> config = config(head);
        DebertaConfig c = DebertaConfig.parse(config, dir.resolve("config.json"));
        Map<String, Shape> shapes = new LinkedHashMap<>();
        DebertaWeights.encoder(c).forEach((n, s) -> shapes.put(DebertaWeights.PREFIX + n, s));
        shapes.putAll(DebertaWeights.head(c, head == Head.CONTEXT_POOLER, 1));
        Map<String, NDArray> w = new LinkedHashMap<>();
        int seed = 0;
        for (var e : shapes.entrySet()) {
            w.put(e.getKey(), e.getKey().endsWith("LayerNorm.weight") ? m.ones(e.getValue())
                    : m.create(Ops.normal(e.getValue().size(), 0.3, seed++), e.getValue()));
        }
        Files.writeString(dir.resolve("config.json"), new ObjectMapper().writeValueAsString(config));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            TestResources.copyResource("deberta/tokenizer/" + f, dir.resolve(f));
        }
        return dir;
    }

    /** [CLS]=1 query [SEP]=2 document [SEP]=2, token types 0 then 1, [PAD]=0, SentencePiece pieces with the U+2581 prefix. */
    @Test
    void theTokenizerAddsDebertasSpecialTokensAndTypes(@TempDir Path tmp) throws IOException {
        try (NDManager m = NDManager.newBaseManager(); HfTokenizer tok = HfTokenizer.load(directory(tmp.resolve("m"), Head.MEAN, m))) {
            assertEquals(0, tok.padId());
            long[] query = tok.encode("what is panda?", false).ids();
            long[] doc = tok.encode("a bear", false).ids();
            assertEquals(4, query.length, java.util.Arrays.toString(query)); // ▁what ▁is ▁panda ?
            assertEquals(2, doc.length, java.util.Arrays.toString(doc));
            assertEquals(tok.tokenId("\u2581panda").orElseThrow(), query[2]);
            Encoded pair = tok.encodePair("what is panda?", "a bear", 512, Truncation.ONLY_SECOND);
            long[] ids = pair.ids();
            assertEquals(3 + query.length + doc.length, ids.length);
            assertEquals(1, ids[0]);
            assertEquals(2, ids[1 + query.length]);
            assertEquals(2, ids[ids.length - 1]);
            long[] types = pair.typeIds();
            assertEquals(0, types[1 + query.length]);
            assertEquals(1, types[2 + query.length]);
            assertEquals(1, types[ids.length - 1]);
            assertArrayEquals(new long[] {1, 2}, tok.encode("", true).ids());
            assertEquals(128000L, tok.tokenId("[MASK]").orElseThrow());
            // only_second cuts the document and keeps the special tokens
            Encoded cut = tok.encodePair("what is panda?", "The giant panda is a bear species endemic to China.", 9, Truncation.ONLY_SECOND);
            assertEquals(9, cut.ids().length);
            assertEquals(2, cut.ids()[8]);
        }
    }

    @ParameterizedTest
    @EnumSource(Head.class)
    void crossEncoderScoresEqualTheModelAndSurviveExport(Head head, @TempDir Path tmp) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = directory(tmp.resolve("m"), head, m);
            float[] scores;
            try (CrossEncoder ce = CrossEncoder.load(dir)) {
                assertEquals("deberta-v2", ce.model().architecture());
                assertEquals(head, ((DebertaModel) ce.model()).head());
                scores = ce.predict(PAIRS);
                // the same scores by hand: the tokenizer's pairs (with token types), right padding, the model's forward
                try (HfTokenizer tok = HfTokenizer.load(dir); SafetensorsReader r = SafetensorsReader.open(dir)) {
                    List<Encoded> pairs = new ArrayList<>();
                    for (TextPair p : PAIRS) {
                        pairs.add(tok.encodePair(p.query(), p.document(), 512, Truncation.ONLY_SECOND));
                    }
                    DebertaModel model = DebertaFixtures.model(config(head), r.loadAll(m), DebertaFixtures.reranker(KernelMode.AUTO), m);
                    float[] direct = model.forward(Batches.pad(pairs, tok.padId(), false, m), false).toFloatArray();
                    assertArrayEquals(direct, scores, 1e-5f);
                }
                Path out = tmp.resolve("export");
                new HfExporter(new HfExportConfig(5_000_000_000L, HfExportConfig.Activation.SIGMOID, true))
                        .export(new ExportRequest(ce.model(), dir, out, "", Map.of()));
                @SuppressWarnings("unchecked")
                Map<String, Object> exported = new ObjectMapper().readValue(out.resolve("config.json").toFile(), Map.class);
                assertEquals(List.of(head == Head.MEAN ? "DebertaV2Model" : "DebertaV2ForSequenceClassification"), exported.get("architectures"));
                try (SafetensorsReader r = SafetensorsReader.open(out)) {
                    Map<String, NDArray> tensors = r.loadAll(m);
                    assertTrue(tensors.containsKey("deberta.encoder.layer.2.attention.self.query_proj.weight"), tensors.keySet().toString());
                    assertTrue(tensors.containsKey("deberta.encoder.rel_embeddings.weight"));
                    assertTrue(tensors.containsKey("deberta.encoder.LayerNorm.bias"));
                    assertTrue(tensors.containsKey("deberta.embeddings.word_embeddings.weight"));
                    assertEquals(head == Head.CONTEXT_POOLER, tensors.containsKey("pooler.dense.weight"));
                    assertTrue(tensors.containsKey("classifier.bias"));
                }
                assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
                try (CrossEncoder again = CrossEncoder.load(out)) {
                    assertArrayEquals(scores, again.predict(PAIRS), 0f);
                }
            }
            System.out.printf("DeBERTa %s CrossEncoder scores %s%n", head.id(), java.util.Arrays.toString(scores));
        }
    }
}
