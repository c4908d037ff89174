package dev.winnow.core.annotate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.model.ModelDirectory;
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

class AnnotatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Scores a pair from its texts alone (so an interrupted and a whole run must agree); counts what it scored. */
    static final class FakeTeacher implements Teacher {
        final List<TextPair> seen = new ArrayList<>();
        int failAfterCalls = Integer.MAX_VALUE;
        int calls;

        static float expected(String query, String doc) {
            return (query.length() * 31 + doc.hashCode() % 1000) / 100f;
        }

        @Override
        public float[] score(List<TextPair> pairs) {
            if (calls++ >= failAfterCalls) {
                throw new IllegalStateException("interrupted");
            }
            seen.addAll(pairs);
            float[] out = new float[pairs.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = expected(pairs.get(i).query(), pairs.get(i).document());
            }
            return out;
        }

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public void close() {}
    }

    /** n queries with 1-2 positives and 3-5 negatives (graded labels, some with an instruction). */
    static List<QueryRecord> records(int n) {
        List<QueryRecord> out = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            List<Candidate> c = new ArrayList<>();
            c.add(new Candidate("q" + q + "n0", "negative zero of " + q, 0, null));
            c.add(new Candidate("q" + q + "p0", "answer to question " + q, q % 3 == 0 ? 2 : 1, null));
            for (int k = 1; k < 3 + q % 3; k++) {
                c.add(new Candidate("q" + q + "n" + k, "negative " + k + " of " + q, 0, null));
            }
            if (q % 2 == 0) {
                c.add(new Candidate("q" + q + "p1", "second answer " + q, 1, null));
            }
            out.add(new QueryRecord("q" + q, "question number " + q + "?", c, q % 4 == 1 ? "be brief" : null,
                    new RowOrigin("in.jsonl", q + 1)));
        }
        return out;
    }

    static PrintStream sink(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    @Test
    void writesFlagEmbeddingRowsWithEveryCandidatesScore() throws IOException {
        List<QueryRecord> in = records(5);
        Path out = dir.resolve("out.jsonl");
        FakeTeacher teacher = new FakeTeacher();
        Annotator.Result result = Annotator.annotate(in, teacher, out, sink(new ByteArrayOutputStream()), false);
        assertFalse(Files.exists(Annotator.partial(out)), "the partial file is renamed onto the output");
        List<String> lines = Files.readAllLines(out);
        assertEquals(5, lines.size());
        assertEquals(in.stream().mapToLong(r -> r.candidates().size()).sum(), teacher.seen.size());
        assertEquals(teacher.seen.size(), result.pairs());
        for (int q = 0; q < 5; q++) {
            QueryRecord r = in.get(q);
            Map<?, ?> row = JSON.readValue(lines.get(q), Map.class);
            assertEquals(r.id(), row.get("qid"));
            assertEquals(r.query(), row.get("query"));
            List<?> pos = (List<?>) row.get("pos");
            List<?> neg = (List<?>) row.get("neg");
            List<?> posScores = (List<?>) row.get("pos_scores");
            List<?> negScores = (List<?>) row.get("neg_scores");
            assertEquals(r.positives().stream().map(Candidate::text).toList(), pos);
            assertEquals(r.negatives().stream().map(Candidate::text).toList(), neg);
            for (int i = 0; i < pos.size(); i++) {
                assertEquals(FakeTeacher.expected(r.query(), (String) pos.get(i)), ((Number) posScores.get(i)).floatValue());
            }
            for (int i = 0; i < neg.size(); i++) {
                assertEquals(FakeTeacher.expected(r.query(), (String) neg.get(i)), ((Number) negScores.get(i)).floatValue());
            }
            assertEquals(r.instruction(), row.get("prompt"));
            // the returned records keep ids and labels and carry the same scores
            QueryRecord a = result.records().get(q);
            assertEquals(r.candidates().stream().map(Candidate::id).toList(), a.candidates().stream().map(Candidate::id).toList());
            for (int i = 0; i < a.candidates().size(); i++) {
                Candidate c = a.candidates().get(i);
                assertEquals(r.candidates().get(i).label(), c.label());
                assertEquals(FakeTeacher.expected(r.query(), c.text()), c.teacherScore().floatValue());
            }
        }
    }

    @Test
    void anInterruptedRunLeavesNoOutputAndContinuesWithoutScoringAnyQueryTwice() throws IOException {
        int n = Annotator.CHUNK * 3 + 5;
        List<QueryRecord> in = records(n);
        Path whole = dir.resolve("whole.jsonl");
        Annotator.annotate(in, new FakeTeacher(), whole, sink(new ByteArrayOutputStream()), false);

        Path out = dir.resolve("out.jsonl");
        FakeTeacher first = new FakeTeacher();
        first.failAfterCalls = 2;
        assertThrows(IllegalStateException.class,
                () -> Annotator.annotate(in, first, out, sink(new ByteArrayOutputStream()), false));
        assertFalse(Files.exists(out), "no output until the annotation is complete");
        Path partial = Annotator.partial(out);
        assertEquals(2 * Annotator.CHUNK, Files.readAllLines(partial).size());
        // a torn write: half of the next row
        String next = Files.readAllLines(whole).get(2 * Annotator.CHUNK);
        Files.writeString(partial, next.substring(0, next.length() / 2), java.nio.file.StandardOpenOption.APPEND);

        FakeTeacher second = new FakeTeacher();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Annotator.Result result = Annotator.annotate(in, second, out, sink(log), false);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("resuming after " + 2 * Annotator.CHUNK + " of " + n), log.toString());
        assertEquals(2 * Annotator.CHUNK, result.resumed());
        assertEquals(n - 2 * Annotator.CHUNK, result.scored());
        long remainingPairs = in.subList(2 * Annotator.CHUNK, n).stream().mapToLong(r -> r.candidates().size()).sum();
        assertEquals(remainingPairs, second.seen.size(), "only the queries not yet written are scored");
        assertEquals(Files.readString(whole), Files.readString(out), "resumed output equals an uninterrupted run's");
        assertEquals(n, result.records().size());
        for (QueryRecord r : result.records()) {
            r.candidates().forEach(c -> assertEquals(FakeTeacher.expected(r.query(), c.text()), c.teacherScore().floatValue()));
        }
        assertFalse(Files.exists(partial));
    }

    @Test
    void aPartialFileOfOtherInputIsRefusedNamingItsLine() throws IOException {
        Path out = dir.resolve("out.jsonl");
        FakeTeacher first = new FakeTeacher();
        first.failAfterCalls = 1;
        assertThrows(IllegalStateException.class,
                () -> Annotator.annotate(records(40), first, out, sink(new ByteArrayOutputStream()), false));
        List<QueryRecord> other = new ArrayList<>(records(40));
        QueryRecord r = other.get(3);
        other.set(3, new QueryRecord(r.id(), "another question?", r.candidates(), r.instruction(), r.origin()));
        UserException e = assertThrows(UserException.class,
                () -> Annotator.annotate(other, new FakeTeacher(), out, sink(new ByteArrayOutputStream()), false));
        assertTrue(e.getMessage().startsWith(Annotator.partial(out) + ":4: "), e.getMessage());
        assertTrue(e.getMessage().contains("does not match the input"), e.getMessage());
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
    }

    @Test
    void progressIsReportedAsPlainLinesWithoutATerminal() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Annotator.annotate(records(100), new FakeTeacher(), dir.resolve("o.jsonl"), sink(log), false);
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("annotate: ")).toList();
        assertTrue(lines.size() >= 5 && lines.size() <= 12, lines.toString());
        assertTrue(lines.get(lines.size() - 1).startsWith("annotate: 100/100 queries"), lines.toString());
        assertTrue(lines.get(0).contains("pairs/s  eta "), lines.toString());
    }

    @Test
    void aCosineTeacherScoresTheDotProductOfTheQueryWithItsPromptAndTheDocument() {
        Map<String, float[]> vectors = Map.of(
                "query: q1", new float[] {1, 0, 0},
                "query: q2", new float[] {0, 0.6f, 0.8f},
                "d1", new float[] {0.6f, 0.8f, 0},
                "d2", new float[] {0, 0, 1});
        List<List<String>> calls = new ArrayList<>();
        Teacher t = Teacher.vectors(texts -> {
            calls.add(List.copyOf(texts));
            return texts.stream().map(vectors::get).toArray(float[][]::new);
        }, "query: ", "test", null);
        float[] s = t.score(List.of(new TextPair("q1", "d1"), new TextPair("q1", "d2"), new TextPair("q2", "d1"),
                new TextPair("q2", "d2")));
        assertArrayEquals(new float[] {0.6f, 0, 0.48f, 0.8f}, s, 1e-6f);
        assertEquals(List.of(List.of("query: q1", "query: q2"), List.of("d1", "d2")), calls, "each text encoded once");
    }

    @Test
    void autoKindReadsTheModelDirectory() throws IOException {
        Path st = Files.createDirectories(dir.resolve("st"));
        Files.writeString(st.resolve("modules.json"), "[]");
        assertEquals("embedding", Teacher.kindOf(new ModelDirectory(st, Map.of("architectures", List.of("BertModel")))));
        Path ce = Files.createDirectories(dir.resolve("ce"));
        assertEquals("reranker", Teacher.kindOf(new ModelDirectory(ce,
                Map.of("architectures", List.of("BertForSequenceClassification")))));
        assertEquals("reranker", Teacher.kindOf(new ModelDirectory(ce, Map.of("architectures", List.of("Qwen3ForCausalLM")))));
        assertEquals("embedding", Teacher.kindOf(new ModelDirectory(ce, Map.of("architectures", List.of("BertModel")))));
        assertEquals("embedding", Teacher.kindOf(new ModelDirectory(ce, Map.of())));
    }

    @Test
    void optionProblemsNameTheKeyAndWhatIsValid() {
        assertEquals(Map.of("kind", "'cross' is not a teacher kind; use one of auto, reranker, embedding"),
                new TeacherOptions("m", "cross", null, null, 32, 512).problems());
        assertEquals(Map.of("pooling", "'cls' applies to an embedding teacher only (kind is reranker)"),
                new TeacherOptions("m", "reranker", "cls", null, 32, 512).problems());
        assertEquals(Map.of("pooling", "'max' is not a pooling; use one of cls, mean, last"),
                new TeacherOptions("m", "embedding", "max", null, 32, 512).problems());
        assertTrue(TeacherOptions.defaults().problems().isEmpty());
        assertNull(TeacherOptions.defaults().model());
    }

    @Test
    void aQueryWithoutAPositiveIsAProgrammingError() {
        QueryRecord none = new QueryRecord("x", "q", List.of(new Candidate("a", "d", 0, null)), null, new RowOrigin("f", 1));
        assertThrows(IllegalArgumentException.class,
                () -> Annotator.annotate(List.of(none), new FakeTeacher(), dir.resolve("o.jsonl"), sink(new ByteArrayOutputStream()), false));
    }
}
