package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.mine.RecipeMining;
import dev.winnow.formats.FlagEmbeddingFormat;
import dev.winnow.formats.LabelledListFormat;
import dev.winnow.core.recipe.ConfigDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code runner mine} and a recipe's {@code data.mine} on the real all-MiniLM-L6-v2 and the demo questions. */
class MineTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ROOT = Path.of(System.getProperty("winnow.repo.root"));
    static final Path DEMO = ROOT.resolve("examples/data/demo-rerank-train.jsonl");

    @TempDir
    Path dir;

    static void usageError(String expectedStart, String... args) {
        CliTest.Result r = CliTest.runner(args);
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: " + expectedStart), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace for a user error");
    }

    @Test
    void usageErrorsExitTwoNamingTheOption() throws IOException {
        Path out = dir.resolve("out.jsonl");
        String in = DEMO.toString();
        usageError("runner mine: --model is required", "mine", "--input", in, "--output", out.toString());
        usageError("runner mine: --input is required", "mine", "--model", "m", "--output", out.toString());
        usageError("runner mine: unknown option --negatives; valid: ", "mine", "--negatives", "3");
        usageError("runner mine: --range-min 50 must be below --range-max (20)", "mine", "--model", "m", "--input", in,
                "--output", out.toString(), "--range-min", "50", "--range-max", "20");
        usageError("runner mine: --top-k 100 must be at least --range-max (210)", "mine", "--model", "m", "--input", in,
                "--output", out.toString(), "--top-k", "100");
        usageError("runner mine: --num-negatives must be a whole number (at least 1), got 'many'", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--num-negatives", "many");
        usageError("runner mine: --num-negatives must be at least 1, got 0", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--num-negatives", "0");
        usageError("runner mine: --margin must be a number of at least 0, got -1", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--margin", "-1");
        usageError("runner mine: --pooling 'max' is not a pooling", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--pooling", "max");
        usageError("--output-format 'jsonl' is not an output format; use flagembedding or mteb", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--output-format", "jsonl");
        usageError("runner mine: --format 'flag' is not a dataset format; available: ", "mine", "--model", "m",
                "--input", in, "--output", out.toString(), "--format", "flag");
        usageError("runner mine: --output " + in + " is also the input", "mine", "--model", "m", "--input", in,
                "--output", in, "--format", "labelled_list");
        usageError("data file " + dir.resolve("missing.jsonl") + " does not exist", "mine", "--model", "m", "--input", dir.resolve("missing.jsonl").toString(),
                "--output", out.toString());
        assertFalse(Files.exists(out));
        CliTest.Result help = CliTest.runner("mine", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("runner mine --model"), help.out());
        assertTrue(CliTest.runner("--help").out().contains("mine"));
    }

    /** The first 40 demo questions (about 280 documents), to keep the encoding short on a small CPU. */
    Path demo() throws IOException {
        Path subset = dir.resolve("demo-40.jsonl");
        Files.write(subset, Files.readAllLines(DEMO).subList(0, 40));
        return subset;
    }

    @Test
    void minesTheDemoQuestionsWithMiniLmIntoRowsThatReadBack() throws IOException {
        Path demo = demo();
        Path out = dir.resolve("mined.jsonl");
        CliTest.Result r = CliTest.runner("mine", "--model", InferenceTest.MINILM, "--input", demo.toString(),
                "--format", "labelled_list", "--output", out.toString(), "--range-min", "2", "--range-max", "30",
                "--num-negatives", "5", "--query-prompt", "query: ", "--max-length", "128", "--seed", "7");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("known positives in the top 30: "), r.out());
        assertTrue(r.out().contains("negatives sampled from ranks [2, 30)"), r.out());

        Dataset input = new DatasetReader(new LabelledListFormat(ConfigDefaults.of(LabelledListFormat.Config.class)),
                DatasetReader.Options.training()).readAll(List.of(demo));
        Dataset mined = new DatasetReader(new FlagEmbeddingFormat(ConfigDefaults.of(FlagEmbeddingFormat.Config.class)),
                DatasetReader.Options.training()).readAll(List.of(out));
        assertEquals(input.records().size(), mined.records().size());
        assertEquals(0, mined.report().badRowsSkipped());
        Set<String> corpus = new HashSet<>();
        input.records().forEach(q -> q.candidates().forEach(c -> corpus.add(c.text())));
        Map<String, QueryRecord> byId = new HashMap<>();
        input.records().forEach(q -> byId.put(q.id(), q));
        for (QueryRecord q : mined.records()) {
            QueryRecord original = byId.get(q.id());
            assertEquals(original.query(), q.query());
            assertEquals(original.positives().stream().map(Candidate::text).toList(),
                    q.positives().stream().map(Candidate::text).toList());
            assertEquals(5, q.negatives().size(), q.id());
            Set<String> positives = new HashSet<>();
            q.positives().forEach(p -> positives.add(p.text()));
            for (Candidate n : q.negatives()) {
                assertTrue(corpus.contains(n.text()), "a negative comes from the corpus");
                assertFalse(positives.contains(n.text()), "a negative is never a positive");
            }
        }

    }

    @Test
    void aRecipeMinesItsTrainingDataBeforeGrouping() throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny"));
        Path runDir = dir.resolve("run");
        Path recipe = dir.resolve("mine.yaml");
        Files.writeString(recipe, """
                model: {source: %s, max_length: 64}
                task: reranker
                data:
                  train: {path: %s, format: labelled_list}
                  group_size: 4
                  mine: {model: "%s", range_min: 1, range_max: 12, num_negatives: 3, max_length: 64}
                train: {batch_size: 8, max_steps: 2, logging_steps: 1}
                eval: {before_training: false}
                export: {enabled: false}
                output_dir: %s
                """.formatted(model, demo(), InferenceTest.MINILM, runDir));
        String log = Runs.run(recipe);
        assertTrue(log.contains("data.mine: hard negatives from " + InferenceTest.MINILM), log);
        assertTrue(log.contains("negatives sampled from ranks [1, 12)"), log);
        List<String> rows = Files.readAllLines(runDir.resolve(RecipeMining.FILE));
        assertEquals(40, rows.size());
        assertEquals(3, ((List<?>) JSON.readValue(rows.get(0), Map.class).get("neg")).size());
    }

    @Test
    void recipeMineProblemsAreReportedWithPositions() throws IOException {
        Path recipe = dir.resolve("bad-mine.yaml");
        Files.writeString(recipe, """
                model: {source: m}
                task: reranker
                data:
                  train: {path: t.jsonl}
                  mine: {range_min: 50, range_max: 20, top_k: 10}
                output_dir: runs/x
                """);
        CliTest.Result r = CliTest.runner("validate", recipe.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: the recipe has 2 problems:"), r.err());
        assertTrue(r.err().contains("data.mine.range_min: 50 must be below data.mine.range_max (20)"), r.err());
        assertTrue(r.err().contains("data.mine.top_k: 10 must be at least data.mine.range_max (20)"), r.err());
    }
}
