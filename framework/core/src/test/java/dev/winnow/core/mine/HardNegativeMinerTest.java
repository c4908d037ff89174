package dev.winnow.core.mine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.UserException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardNegativeMinerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A unit vector per text, from the text alone; records what it was asked to encode. */
    static final class FakeEncoder implements TextEncoder {
        final List<String> seen = new ArrayList<>();

        @Override
        public float[][] encode(List<String> texts) {
            seen.addAll(texts);
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) {
                out[i] = TopKTest.vectors(1, 8, new SplittableRandom(texts.get(i).hashCode()))[0];
            }
            return out;
        }
    }

    /** 30 queries, each with 2 positives and 10 negatives of its own (360 documents). */
    static List<QueryRecord> records() {
        List<QueryRecord> records = new ArrayList<>();
        for (int q = 0; q < 30; q++) {
            List<Candidate> c = new ArrayList<>();
            c.add(new Candidate("q" + q + "p0", "positive " + q + " a", 1, 2.5));
            c.add(new Candidate("q" + q + "p1", "positive " + q + " b", 1, null));
            for (int n = 0; n < 10; n++) {
                c.add(new Candidate("q" + q + "n" + n, "negative " + q + " " + n, 0, null));
            }
            records.add(new QueryRecord("q" + q, "query " + q, c, q == 0 ? "an instruction" : null,
                    new RowOrigin("train.jsonl", q + 1)));
        }
        return records;
    }

    static MineOptions options(int rangeMin, int rangeMax, int numNegatives, Double margin) {
        MineOptions d = MineOptions.defaults();
        return new MineOptions(null, null, null, "Represent: ", null, rangeMin, rangeMax, numNegatives, margin, null,
                d.batchSize(), d.maxLength());
    }

    static HardNegativeMiner.Result mine(List<QueryRecord> records, Corpus corpus, MineOptions o, long seed) {
        return HardNegativeMiner.mine(records, corpus, new FakeEncoder(), o, seed,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void minesFromTheInputsDocumentsLeavingOutPositivesAndPrefixingQueries() {
        List<QueryRecord> records = records();
        FakeEncoder encoder = new FakeEncoder();
        HardNegativeMiner.Result r = HardNegativeMiner.mine(records, null, encoder, options(5, 50, 15, null), 42,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertTrue(encoder.seen.contains("Represent: query 7"));
        assertFalse(encoder.seen.contains("query 7"));
        MineStats s = r.stats();
        assertEquals(30, s.queries());
        assertEquals(360, s.corpusSize());
        assertEquals(0, s.positivesAdded());
        assertEquals(50, s.topK());
        assertEquals(60, s.positives());
        assertEquals(30 * 15, s.negatives() + s.negativesMissing());
        assertEquals(0, s.queriesShort(), "45 ranks, at most 2 positives in them: 15 always remain");
        assertTrue(s.meanRank() > 5 && s.meanRank() <= 50, "mean rank " + s.meanRank());
        for (HardNegativeMiner.Mined m : r.queries()) {
            Set<String> positives = new HashSet<>();
            m.source().positives().forEach(p -> positives.add(p.text()));
            assertEquals(15, m.negatives().size());
            int previous = -1;
            for (HardNegativeMiner.Negative n : m.negatives()) {
                assertFalse(positives.contains(n.text()));
                assertTrue(n.rank() >= 5 && n.rank() < 50 && n.rank() > previous);
                previous = n.rank();
            }
            QueryRecord mined = m.record();
            assertEquals(2, mined.positives().size());
            assertEquals(m.source().positives(), mined.positives(), "positives kept as read, teacher scores too");
            assertEquals(15, mined.negatives().size());
            assertEquals(17, mined.candidates().stream().map(Candidate::id).distinct().count(), "ids unique");
            assertEquals(m.source().instruction(), mined.instruction());
        }
        // the same seed gives the same negatives; another seed others
        assertEquals(negatives(r), negatives(mine(records, null, options(5, 50, 15, null), 42)));
        assertFalse(negatives(r).equals(negatives(mine(records, null, options(5, 50, 15, null), 43))));
    }

    static List<List<String>> negatives(HardNegativeMiner.Result r) {
        return r.queries().stream().map(m -> m.negatives().stream().map(HardNegativeMiner.Negative::text).toList()).toList();
    }

    @Test
    void recallCountsPositivesInTheTopKAndTheMarginDropsCandidates() {
        List<QueryRecord> records = records();
        MineStats all = mine(records, null, new MineOptions(null, null, null, null, 360, 0, 360, 400, null, null, 32, 512),
                1).stats();
        assertEquals(1.0, all.recallAtK(), "every positive is in a top-k that holds the whole corpus");
        assertEquals(30, all.queriesShort());
        assertEquals(30 * 358, all.negatives(), "the whole corpus but each query's 2 positives");
        assertEquals(60, all.positivesInWindow());
        MineStats margin = mine(records, null, new MineOptions(null, null, null, null, 360, 0, 360, 400, 0.0, null, 32, 512),
                1).stats();
        assertTrue(margin.droppedByMargin() > 0);
        assertEquals(all.negatives() - margin.droppedByMargin(), margin.negatives());
    }

    @Test
    void aCorpusFileGetsTheMissingPositivesAndReportsRepeats() throws IOException {
        Path file = dir.resolve("corpus.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add(JSON.writeValueAsString(Map.of("text", "document " + i, "id", i)));
        }
        lines.add("");
        lines.add(JSON.writeValueAsString(Map.of("text", "document 3")));
        lines.add(JSON.writeValueAsString(Map.of("text", "positive 0 a")));
        Files.write(file, lines);
        Corpus corpus = Corpus.read(List.of(file));
        assertEquals(41, corpus.size());
        assertEquals(1, corpus.duplicates());
        MineStats s = mine(records(), corpus, options(0, 20, 5, null), 42).stats();
        assertEquals(41 + 59, s.corpusSize());
        assertEquals(59, s.positivesAdded());
        assertEquals(1, s.corpusDuplicates());
    }

    @Test
    void aCorpusRowWithoutTextNamesFileAndLine() throws IOException {
        Path file = dir.resolve("corpus.jsonl");
        Files.write(file, List.of("{\"text\": \"a\"}", "{\"body\": \"b\"}"));
        UserException e = org.junit.jupiter.api.Assertions.assertThrows(UserException.class,
                () -> Corpus.read(List.of(file)));
        assertTrue(e.getMessage().startsWith(file + ":2: a corpus row needs a non-empty 'text' string"), e.getMessage());
    }

    @Test
    void writesFlagEmbeddingAndMtebRowsAtomically() throws IOException {
        HardNegativeMiner.Result r = mine(records(), null, options(0, 30, 4, null), 42);
        Path out = dir.resolve("sub/mined.jsonl");
        MinedWriter.write(r.queries(), MinedWriter.Format.FLAGEMBEDDING, out);
        List<String> lines = Files.readAllLines(out);
        assertEquals(30, lines.size());
        Map<?, ?> first = JSON.readValue(lines.get(0), Map.class);
        assertEquals(List.of("qid", "query", "pos", "neg", "prompt"), List.copyOf(first.keySet()));
        assertEquals("query 0", first.get("query"));
        assertEquals(List.of("positive 0 a", "positive 0 b"), first.get("pos"));
        assertEquals(4, ((List<?>) first.get("neg")).size());
        assertEquals("an instruction", first.get("prompt"));
        assertFalse(JSON.readValue(lines.get(1), Map.class).containsKey("prompt"));
        MinedWriter.write(r.queries(), MinedWriter.Format.MTEB, out);
        Map<?, ?> mteb = JSON.readValue(Files.readAllLines(out).get(0), Map.class);
        assertEquals(List.of("qid", "query", "positive", "negative"), List.copyOf(mteb.keySet()));
        assertEquals(List.of("mined.jsonl"), Files.list(out.getParent()).map(p -> p.getFileName().toString()).toList(),
                "no temporary file left");
    }

    @Test
    void crossKeyProblemsNameTheKeys() {
        MineOptions bad = new MineOptions(null, "max", null, null, 50, 100, 100, 15, null, null, 32, 512);
        Map<String, String> p = bad.problems(k -> "--" + k.replace('_', '-'));
        assertEquals(List.of("range_min", "top_k", "pooling"), List.copyOf(p.keySet()));
        assertTrue(p.get("range_min").startsWith("100 must be below --range-max (100)"), p.get("range_min"));
        assertTrue(p.get("top_k").startsWith("50 must be at least --range-max (100)"), p.get("top_k"));
        assertEquals(210, MineOptions.defaults().effectiveTopK());
    }
}
