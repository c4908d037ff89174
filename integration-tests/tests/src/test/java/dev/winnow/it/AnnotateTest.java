package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.annotate.RecipeTeacher;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.recipe.ConfigDefaults;
import dev.winnow.formats.FlagEmbeddingFormat;
import dev.winnow.formats.LabelledListFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code runner annotate} and a recipe's {@code data.teacher} on the real all-MiniLM-L6-v2 and the demo questions. */
class AnnotateTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    Path demo(int n) throws IOException {
        Path subset = dir.resolve("demo-" + n + ".jsonl");
        Files.write(subset, Files.readAllLines(MineTest.DEMO).subList(0, n));
        return subset;
    }

    static Dataset flag(Path file) {
        return new DatasetReader(new FlagEmbeddingFormat(ConfigDefaults.of(FlagEmbeddingFormat.Config.class)),
                DatasetReader.Options.training()).readAll(List.of(file));
    }

    @Test
    void usageErrorsExitTwoNamingTheOption() throws IOException {
        Path out = dir.resolve("out.jsonl");
        String in = MineTest.DEMO.toString();
        MineTest.usageError("runner annotate: --teacher is required", "annotate", "--input", in, "--output", out.toString());
        MineTest.usageError("runner annotate: --output is required", "annotate", "--teacher", "m", "--input", in);
        MineTest.usageError("runner annotate: unknown option --model; valid: ", "annotate", "--model", "m");
        MineTest.usageError("runner annotate: --kind 'cross' is not a teacher kind; use one of auto, reranker, embedding",
                "annotate", "--teacher", "m", "--input", in, "--output", out.toString(), "--kind", "cross");
        MineTest.usageError("runner annotate: --batch-size must be at least 1, got 0", "annotate", "--teacher", "m",
                "--input", in, "--output", out.toString(), "--batch-size", "0");
        MineTest.usageError("runner annotate: --format 'flag' is not a dataset format; available: ", "annotate",
                "--teacher", "m", "--input", in, "--output", out.toString(), "--format", "flag");
        MineTest.usageError("runner annotate: --output " + in + " is also the input", "annotate", "--teacher", "m",
                "--input", in, "--output", in, "--format", "labelled_list");
        assertFalse(Files.exists(out));
        CliTest.Result help = CliTest.runner("annotate", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("runner annotate --teacher"), help.out());
        assertTrue(CliTest.runner("--help").out().contains("annotate"));
    }

    @Test
    void anEmbeddingTeacherWritesEveryPairsCosineAsFlagEmbeddingScores() throws IOException {
        Path demo = demo(12);
        Path out = dir.resolve("annotated.jsonl");
        CliTest.Result r = CliTest.runner("annotate", "--teacher", InferenceTest.MINILM, "--input", demo.toString(),
                "--format", "labelled_list", "--output", out.toString(), "--query-prompt", "query: ", "--max-length", "128");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("teacher: embedding model " + InferenceTest.MINILM + " (cosine, query prompt 'query: ')"),
                r.out());
        assertFalse(Files.exists(out.resolveSibling("annotated.jsonl.partial")));

        Dataset input = new DatasetReader(new LabelledListFormat(ConfigDefaults.of(LabelledListFormat.Config.class)),
                DatasetReader.Options.training()).readAll(List.of(demo));
        Dataset annotated = flag(out);
        assertEquals(input.records().size(), annotated.records().size());
        // the same cosines, computed here from the embedder directly
        try (Embedder e = Embedder.load(InferenceTest.MINILM, null, true, 128, 32, "auto")) {
            for (int q = 0; q < input.records().size(); q++) {
                QueryRecord a = annotated.records().get(q);
                QueryRecord original = input.records().get(q);
                assertEquals(original.id(), a.id());
                assertEquals(original.candidates().size(), a.candidates().size());
                float[] qv = e.encode(List.of("query: " + a.query()))[0];
                List<String> texts = a.candidates().stream().map(Candidate::text).toList();
                float[][] dv = e.encode(texts);
                for (int i = 0; i < texts.size(); i++) {
                    double dot = 0;
                    for (int k = 0; k < qv.length; k++) {
                        dot += qv[k] * dv[i][k];
                    }
                    assertEquals(dot, a.candidates().get(i).teacherScore(), 1e-4, a.id() + " " + i);
                }
                // positives of a trained bi-encoder score above most negatives: a real signal, not noise
            }
        }
    }

    @Test
    void minedDataAnnotatesWithARerankerTeacherAndReRunningCompletesWithoutDuplicates() throws IOException {
        Path tiny = EndToEndRerankerTest.tinyBert(dir.resolve("tiny"));
        Path mined = dir.resolve("mined.jsonl");
        CliTest.Result m = CliTest.runner("mine", "--model", InferenceTest.MINILM, "--input", demo(20).toString(),
                "--format", "labelled_list", "--output", mined.toString(), "--range-min", "1", "--range-max", "20",
                "--num-negatives", "4", "--max-length", "128");
        assertEquals(0, m.code(), m.out() + m.err());
        Path out = dir.resolve("scored.jsonl");
        CliTest.Result r = CliTest.runner("annotate", "--teacher", tiny.toString(), "--kind", "reranker", "--input",
                mined.toString(), "--output", out.toString(), "--max-length", "64");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("wrote 20 flagembedding rows"), r.out());
        Dataset scored = flag(out);
        Dataset minedRows = flag(mined);
        assertEquals(20, scored.records().size());
        try (CrossEncoder ce = CrossEncoder.builder(tiny.toString()).optMaxLength(64).build()) {
            for (int q = 0; q < 20; q++) {
                QueryRecord s = scored.records().get(q);
                assertEquals(minedRows.records().get(q).candidates().stream().map(Candidate::text).toList(),
                        s.candidates().stream().map(Candidate::text).toList());
                assertEquals(5, s.candidates().size());
                float[] expected = ce.predict(s.candidates().stream().map(c -> new TextPair(s.query(), c.text())).toList());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], s.candidates().get(i).teacherScore(), 1e-4);
                }
            }
        }
        // an interrupted run's partial file (here: its first 7 rows and a torn eighth) is continued, not duplicated
        List<String> rows = Files.readAllLines(out);
        Path partial = out.resolveSibling("scored.jsonl.partial");
        Files.writeString(partial, String.join("\n", rows.subList(0, 7)) + "\n" + rows.get(7).substring(0, 20));
        Files.delete(out);
        CliTest.Result again = CliTest.runner("annotate", "--teacher", tiny.toString(), "--kind", "reranker", "--input",
                mined.toString(), "--output", out.toString(), "--max-length", "64");
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("resuming after 7 of 20 queries"), again.out());
        assertTrue(again.out().contains("(7 resumed, 13 scored"), again.out());
        List<String> resumed = Files.readAllLines(out);
        assertEquals(20, resumed.size());
        for (int i = 0; i < 20; i++) {
            assertEquals(JSON.readTree(rows.get(i)).path("qid"), JSON.readTree(resumed.get(i)).path("qid"));
            assertEquals(JSON.readTree(rows.get(i)).path("pos_scores").size(), JSON.readTree(resumed.get(i)).path("pos_scores").size());
        }
    }

    @Test
    void aRecipeMinesThenAnnotatesItsTrainingData() throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny"));
        Path runDir = dir.resolve("run");
        Path recipe = dir.resolve("teacher.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 64}
                task: reranker
                data:
                  train: {path: %s, format: labelled_list}
                  group_size: 4
                  mine: {model: "%s", range_min: 1, range_max: 12, num_negatives: 3, max_length: 64}
                  teacher: {model: "%s", max_length: 64}
                train: {batch_size: 8, max_steps: 2, logging_steps: 1}
                eval: {before_training: false}
                export: {enabled: false}
                output_dir: %s
                """.formatted(model, demo(16), InferenceTest.MINILM, InferenceTest.MINILM, runDir));
        String log = Runs.run(recipe);
        assertTrue(log.contains("data.teacher: teacher scores from embedding model " + InferenceTest.MINILM), log);
        assertTrue(log.contains("16 queries annotated (0 resumed)"), log);
        List<String> rows = Files.readAllLines(runDir.resolve(RecipeTeacher.FILE));
        assertEquals(16, rows.size());
        Map<?, ?> first = JSON.readValue(rows.get(0), Map.class);
        assertEquals(3, ((List<?>) first.get("neg")).size(), "the mined negatives are the ones annotated");
        assertEquals(3, ((List<?>) first.get("neg_scores")).size());
    }

    @Test
    void recipeTeacherProblemsAreReportedWithPositions() throws IOException {
        Path recipe = dir.resolve("bad-teacher.yaml");
        Files.writeString(recipe, """
                model: {source: m}
                task: reranker
                data:
                  train: {path: t.jsonl}
                  teacher: {kind: cross, batch_sise: 4}
                output_dir: runs/x
                """);
        CliTest.Result r = CliTest.runner("validate", recipe.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("batch_sise"), r.err());
        assertTrue(r.err().contains("did you mean 'batch_size'"), r.err());
    }
}
