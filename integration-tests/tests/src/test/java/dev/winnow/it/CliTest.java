package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's commands as a user meets them: output and exit codes. */
class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result runner(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = dev.winnow.cli.Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void validateReportsThreeMistakesWithPositionsAndExitsTwo() throws IOException {
        Path recipe = dir.resolve("bad.yaml");
        Files.writeString(recipe, """
                model:
                  source: models/minilm
                  max_lenght: 128
                task: reranker
                data:
                  train: {path: train.jsonl, format: labelled_lst}
                train:
                  epochs: -3
                output_dir: runs/x
                """);
        Result r = runner("validate", recipe.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals("error: the recipe has 3 problems:", lines.get(0));
        assertTrue(lines.get(1).startsWith("  " + recipe + ":3:3: model.max_lenght: unknown key (did you mean 'max_length'?)"), r.err());
        assertTrue(lines.get(2).startsWith("  " + recipe + ":6:38: data.train.format.type: unknown format type 'labelled_lst' (did you mean 'labelled_list'?); available: "), r.err());
        assertEquals("  " + recipe + ":8:11: train.epochs: -3 is out of range; must be at least 1", lines.get(3));
        assertEquals(4, lines.size(), r.err());
        assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), "no stack trace for a user error");
    }

    @Test
    void validAndHelpAndUnknownCommands() throws IOException {
        Path recipe = dir.resolve("ok.yaml");
        Files.writeString(recipe, "model: {source: m}\ntask: reranker\ndata: {train: {path: t.jsonl}}\noutput_dir: runs/x\n");
        Result ok = runner("validate", recipe.toString(), "train.epochs=2");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith(recipe + " is valid: task reranker, model m, loss listwise_ce"), ok.out());

        Result help = runner("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("validate") && help.out().contains("plugins"), help.out());
        Result cmdHelp = runner("validate", "--help");
        assertTrue(cmdHelp.out().startsWith("runner validate <recipe.yaml>"), cmdHelp.out());

        Result unknown = runner("valdate", "x.yaml");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: unknown command 'valdate' (did you mean 'validate'?)"), unknown.err());

        Result badOption = runner("plugins", "--colour");
        assertEquals(2, badOption.code());
        assertEquals("error: runner plugins: unknown option --colour; valid: --markdown (see runner plugins --help)\n", badOption.err());
    }

    /** The 4B recipe validates; running it on a machine that cannot hold it fails at once with the estimate. */
    @Test
    void theQwen3Reranker4bRecipeFailsFastWithItsMemoryEstimate() {
        Path root = Path.of(System.getProperty("winnow.repo.root"));
        String recipe = root.resolve("recipes/qwen3-reranker-4b.yaml").toString();
        assertEquals(0, runner("validate", recipe).code());
        Path out = dir.resolve("run");
        Result r = runner(recipe, "output_dir=" + out, "devices.devices=[cpu]",
                "data.train.path=" + root.resolve("examples/data/demo-rerank-train.jsonl"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: Qwen/Qwen3-Reranker-4B: estimated memory: "), r.err());
        assertTrue(r.err().contains("for 4.02B parameters"), r.err());
        assertTrue(r.err().contains("To fit: train.type: lora"), r.err());
        assertFalse(r.out().contains("train data:"), "fails before reading data or loading anything: " + r.out());
        var registry = dev.winnow.core.registry.ComponentRegistry.discover();
        var loaded = new dev.winnow.core.recipe.RecipeLoader(registry).load(root.resolve("recipes/qwen3-reranker-4b-lora.yaml"), List.of());
        var estimate = dev.winnow.core.run.MemoryEstimate.forRecipe(loaded.recipe(), registry, 80_000_000_000L, "gpu(0)").orElseThrow();
        assertTrue(estimate.trainable() < estimate.parameters() / 100, "LoRA trains under 1%: " + estimate.trainable());
    }

    @Test
    void pluginsListsBuiltInAndThirdPartyComponentsWithTheirKeys() {
        Result r = runner("plugins");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pairwise_hinge  [example-hinge-loss]"), r.out());
        assertTrue(r.out().contains("example_ranknet  [example-kotlin-ranknet]"), r.out());
        assertTrue(r.out().contains("ranknet  [ranking-losses]"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("margin") && l.contains("default 1.0")), r.out());
    }
}
