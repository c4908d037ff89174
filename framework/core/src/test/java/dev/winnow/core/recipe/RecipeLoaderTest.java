package dev.winnow.core.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.model.Task;
import dev.winnow.core.data.ShortfallPolicy;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import dev.winnow.core.recipe.Recipe.ScheduleType;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeLoaderTest {
    static final ComponentRegistry REGISTRY = ComponentRegistry.of(new TestPlugins.Builtins());

    @TempDir
    Path dir;

    static final String MINIMAL = """
            model:
              source: models/minilm
            task: reranker
            data:
              train:
                path: data/train.jsonl
            output_dir: runs/x
            """;

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    LoadedRecipe load(Path file, String... overrides) {
        return new RecipeLoader(REGISTRY, Map.of("DATA", "/data"), RecipeCheck.builtIn()).load(file, List.of(overrides));
    }

    List<String> problems(Path file, String... overrides) {
        RecipeException e = assertThrows(RecipeException.class, () -> load(file, overrides));
        return e.problems().stream().map(Problem::toString).toList();
    }

    @Test
    void aMinimalRecipeGetsEveryDefault() throws IOException {
        Recipe r = load(write("r.yaml", MINIMAL)).recipe();
        assertEquals("models/minilm", r.model().source());
        assertEquals(512, r.model().maxLength());
        assertEquals(Task.RERANKER, r.task());
        assertEquals("pair", r.template().id());
        assertEquals("listwise_ce", r.loss().id());
        assertEquals(new TestPlugins.ListwiseConfig(1.0, 2), r.loss().config());
        assertEquals("mteb", r.data().train().format().id());
        assertEquals(8, r.data().groupSize());
        assertEquals(ShortfallPolicy.REPEAT, r.data().shortfall());
        assertEquals(2e-5, r.train().optimizer().lr());
        assertEquals(List.of(0.9, 0.999), r.train().optimizer().betas());
        assertEquals(ScheduleType.LINEAR, r.train().schedule().type());
        assertEquals(Precision.FP32, r.train().precision());
        assertEquals(KernelMode.AUTO, r.kernels());
        assertEquals(42L, r.train().seed());
        assertEquals("reranking", r.eval().evaluators().get(0).id());
        assertEquals(new TestPlugins.RerankingConfig(List.of(1, 5, 10)), r.eval().evaluators().get(0).config());
        assertEquals("hf", r.export().exporters().get(0).id());
        assertEquals(List.of("auto"), r.devices().devices());
        assertNull(r.train().loraRank());
        assertNull(r.data().eval());
    }

    @Test
    void aTagThatWouldConstructAJavaObjectIsRejected() throws IOException {
        Path f = write("evil.yaml", MINIMAL + "extra: !!java.io.File [\"/etc/passwd\"]\n"
                + "other: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]\n");
        List<String> p = problems(f);
        assertTrue(p.contains(f + ":8:8: the tag !!java.io.File is not allowed: recipes are plain data (mappings, "
                + "lists, strings, numbers, booleans); remove the tag"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(f + ":9:8: the tag !!javax.script.ScriptEngineManager is not allowed")), p.toString());
    }

    @Test
    void threeMistakesAreAllReportedWithLineAndColumn() throws IOException {
        Path f = write("bad.yaml", """
                model:
                  source: models/minilm
                  max_lenght: 128
                task: reranker
                data:
                  train:
                    path: data/train.jsonl
                loss:
                  type: listwise_cee
                train:
                  batch_size: many
                output_dir: runs/x
                """);
        List<String> p = problems(f);
        assertEquals(List.of(
                f + ":3:3: model.max_lenght: unknown key (did you mean 'max_length'?); valid keys: source, revision, type, "
                        + "max_length, pooling, normalize, num_labels, options",
                f + ":9:9: loss.type: unknown loss type 'listwise_cee' (did you mean 'listwise_ce'?); available: infonce, "
                        + "listwise_ce, pointwise_bce",
                f + ":11:15: train.batch_size: expected an integer, found the string 'many'"), p);
    }

    @Test
    void valueErrorsNameWhatWouldBeValid() throws IOException {
        Path f = write("vals.yaml", MINIMAL + """
                train:
                  optimizer: {lr: -1, betas: [0.9]}
                  precision: fp8
                  gradient_accumulation_steps: 0
                  resume: maybe
                """);
        List<String> p = problems(f);
        assertTrue(p.contains(f + ":9:19: train.optimizer.lr: -1 is out of range; must be greater than 0"), p.toString());
        assertTrue(p.contains(f + ":9:30: train.optimizer.betas: the number of entries (1) is out of range; must be between 2 and 2"), p.toString());
        assertTrue(p.contains(f + ":10:14: train.precision: 'fp8' is not valid (did you mean 'fp32'?); valid: fp32, fp16, bf16"), p.toString());
        assertTrue(p.contains(f + ":11:32: train.gradient_accumulation_steps: 0 is out of range; must be at least 1"), p.toString());
        assertTrue(p.contains(f + ":12:11: train.resume: expected true or false, found the string 'maybe'"), p.toString());
        assertEquals(5, p.size(), p.toString());
    }

    @Test
    void missingRequiredKeysAndWrongShapes() throws IOException {
        Path f = write("missing.yaml", """
                model: models/minilm
                data:
                  train: {}
                """);
        List<String> p = problems(f);
        assertEquals(List.of(
                f + ":1:8: model: expected a mapping with keys [source, revision, type, max_length, pooling, normalize, num_labels, options], found the string 'models/minilm'",
                f + ":1:1: task: missing required key (what to train: reranker, generative_reranker or embedding)",
                f + ":3:10: data.train.path: missing required key (a file (.jsonl or .json), a directory of them, or a glob; ${VAR} references allowed)",
                f + ":1:1: output_dir: missing required key (the run directory: resolved recipe, metrics, checkpoints, plots, export)"), p);
    }

    @Test
    void componentArgumentsAreCheckedAgainstTheirConfigRecord() throws IOException {
        Path f = write("comp.yaml", MINIMAL + """
                loss: {type: listwise_ce, temprature: 0.5}
                eval:
                  evaluators: [{type: reranking, k: [1, x]}, {k: [3]}]
                """);
        List<String> p = problems(f);
        assertEquals(List.of(
                f + ":8:27: loss.temprature: unknown key (did you mean 'temperature'?); valid keys: temperature, min_group_size",
                f + ":10:41: eval.evaluators[0].k[1]: expected an integer, found the string 'x'",
                f + ":10:46: eval.evaluators[1].type: missing 'type'; available evaluator types: reranking"), p);
    }

    @Test
    void baseRecipesAreInheritedAndOverriddenKeyByKey() throws IOException {
        write("base.yaml", MINIMAL + """
                train:
                  batch_size: 4
                  optimizer: {lr: 1.0e-5, weight_decay: 0.1}
                """);
        write("mid.yaml", """
                base: base.yaml
                train:
                  optimizer: {lr: 3.0e-5}
                """);
        Path leaf = write("leaf.yaml", """
                base: mid.yaml
                model: {max_length: 256}
                """);
        Recipe r = load(leaf).recipe();
        assertEquals("models/minilm", r.model().source());
        assertEquals(256, r.model().maxLength());
        assertEquals(4, r.train().batchSize());
        assertEquals(3e-5, r.train().optimizer().lr());
        assertEquals(0.1, r.train().optimizer().weightDecay());
    }

    @Test
    void inheritanceCyclesAndMissingBasesArePositioned() throws IOException {
        write("a.yaml", "base: b.yaml\n" + MINIMAL);
        Path b = write("b.yaml", "base: a.yaml\n");
        List<String> p = problems(dir.resolve("a.yaml"));
        assertEquals(List.of(b + ":1:7: base: inheritance cycle: a.yaml -> b.yaml -> a.yaml"), p);
        Path c = write("c.yaml", "base: nowhere.yaml\n" + MINIMAL);
        assertEquals(List.of(c + ":1:7: base: recipe file not found: " + dir.resolve("nowhere.yaml")), problems(c));
    }

    @Test
    void commandLineOverridesApplyLastAndAreValidated() throws IOException {
        Path f = write("r.yaml", MINIMAL);
        Recipe r = load(f, "train.optimizer.lr=1e-4", "loss.temperature=0.05", "train.target_modules=[q_proj, v_proj]",
                "train.type=lora").recipe();
        assertEquals(1e-4, r.train().optimizer().lr());
        assertEquals(0.05, ((TestPlugins.ListwiseConfig) r.loss().config()).temperature());
        assertEquals(List.of("q_proj", "v_proj"), r.train().targetModules());
        List<String> p = problems(f, "train.optimizr.lr=1", "nonsense");
        assertEquals(List.of(
                "<command line>:1:1: nonsense: an override is key.path=value, such as train.optimizer.lr=1e-5",
                "<command line: train.optimizr.lr=1>:1:1: train.optimizr: unknown key (did you mean 'optimizer'?); valid keys: "
                        + "type, optimizer, schedule, batch_size, gradient_accumulation_steps, max_grad_norm, gradient_checkpointing, "
                        + "gradient_checkpointing_every, precision, "
                        + "seed, epochs, max_steps, eval_steps, save_steps, save_total_limit, logging_steps, resume, "
                        + "metric_for_best, greater_is_better, lora_rank, lora_alpha, lora_dropout, target_modules"), p);
    }

    @Test
    void environmentReferencesWithDefaults() throws IOException {
        Path f = write("env.yaml", """
                model: {source: "${MODELS:-models}/minilm"}
                task: reranker
                data:
                  train: {path: "${DATA}/train.jsonl"}
                  eval: {path: "${MISSING}/dev.jsonl"}
                train: {batch_size: "${BATCH:-16}"}
                output_dir: runs/x
                """);
        List<String> p = problems(f);
        assertEquals(List.of(f + ":5:16: environment variable MISSING is not set; set it or write ${MISSING:-default}"), p);
        Recipe r = load(f, "data.eval.path=${DATA}/dev.jsonl").recipe();
        assertEquals("models/minilm", r.model().source());
        assertEquals("/data/train.jsonl", r.data().train().path());
        assertEquals("/data/dev.jsonl", r.data().eval().path());
        assertEquals(16, r.train().batchSize());
    }

    @Test
    void crossFieldChecksNameBothKeysAndTheFix() throws IOException {
        Path f = write("x.yaml", """
                model: {source: m}
                task: reranker
                output_dir: runs/x
                data:
                  train: {path: a.jsonl}
                  eval: {path: b.jsonl}
                  split_ratio: 0.1
                loss: infonce
                kernels: composed
                train:
                  lora_rank: 8
                  precision: bf16
                  schedule: {warmup_steps: 10, warmup_ratio: 0.1}
                """);
        List<String> p = problems(f);
        assertTrue(p.contains(f + ":11:14: train.lora_rank: LoRA options need train.type: lora (it is full); set train.type: lora or remove lora_rank"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith(f + ":12:14: train.precision: bf16 needs the TorchScript kernels "
                + "(kernels: auto or torchscript); kernels: composed computes in fp32 only")), p.toString());
        assertTrue(p.contains(f + ":8:7: loss: the loss 'infonce' does not score rerankers; task reranker needs a ranking loss such as listwise_ce or pointwise_bce"), p.toString());
        assertTrue(p.contains(f + ":13:28: train.schedule.warmup_steps: set warmup_steps or warmup_ratio, not both"), p.toString());
        assertTrue(p.contains(f + ":7:16: data.split_ratio: split_ratio carves an eval split only when data.eval is absent; remove one of them"), p.toString());
    }

    @Test
    void duplicateKeysAndBadYamlAreProblemsToo() throws IOException {
        Path f = write("dup.yaml", MINIMAL + "task: embedding\n");
        assertEquals(List.of(f + ":8:1: task: duplicate key (first written at " + f + ":3:1)"), problems(f));
        Path g = write("broken.yaml", "model: [unclosed\n");
        List<String> p = problems(g);
        assertEquals(1, p.size());
        assertTrue(p.get(0).startsWith(g + ":2:1: not valid YAML: "), p.toString());
    }

    @Test
    void twoPluginsWithOneIdFailNamingBoth() {
        UserException e = assertThrows(UserException.class,
                () -> ComponentRegistry.of(new TestPlugins.Builtins(), new TestPlugins.Duplicate()));
        assertTrue(e.getMessage().startsWith("two plugins register the loss 'listwise_ce': test-builtins ("), e.getMessage());
        assertTrue(e.getMessage().contains(") and test-duplicate ("), e.getMessage());
        assertTrue(e.getMessage().contains("test-classes"), e.getMessage());
    }

    @Test
    void theResolvedRecipeLoadsBackEqual() throws IOException {
        Path f = write("r.yaml", MINIMAL + """
                loss: {type: pointwise_bce, pos_weight: 2.5}
                train: {type: lora, lora_rank: 16, target_modules: [q_proj], schedule: {type: cosine}}
                """);
        LoadedRecipe loaded = load(f, "train.optimizer.lr=5e-5");
        String yaml = RecipeWriter.toYaml(loaded, "test");
        assertTrue(yaml.startsWith("# Resolved by Winnow test at "), yaml);
        assertTrue(yaml.contains("lr: 5.0E-5") || yaml.contains("lr: 5.0e-05") || yaml.contains("lr: 5.0E-5"), yaml);
        Path resolved = dir.resolve("run/recipe.resolved.yaml");
        RecipeWriter.write(loaded, "test", resolved);
        Recipe again = load(resolved).recipe();
        assertEquals(RecipeWriter.toTree(loaded.recipe()), RecipeWriter.toTree(again));
        assertEquals(loaded.recipe().train(), again.train());
        assertFalse(Files.list(resolved.getParent()).anyMatch(p -> p.getFileName().toString().contains(".tmp-")));
    }

    @Test
    void theReferenceListsEverySectionKeyAndComponent() {
        String md = RecipeReference.markdown(REGISTRY);
        assertTrue(md.contains("| `train.optimizer.lr` | number | `2e-5` | peak learning rate |"), md);
        assertTrue(md.contains("| `data.train.path` | string | required |"), md);
        assertTrue(md.contains("- `listwise_ce`\n  - `temperature` (number, `1.0`): softmax temperature"), md);
    }

    /** A local model of the toy architecture: its config.json names model_type toy. */
    private Path toyModel(String name) throws IOException {
        Path model = dir.resolve(name);
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"toy\", \"architectures\": [\"ToyForCausalLM\"]}");
        return model;
    }

    private static final ComponentRegistry WITH_TOY = ComponentRegistry.of(new TestPlugins.Builtins(), new TestPlugins.Toy());

    @Test
    void modelOptionsBindToTheArchitecturesRecordWithPositionsAndSuggestions() throws IOException {
        Path model = toyModel("toy");
        Path f = write("opts.yaml", """
                model:
                  source: %s
                  options:
                    cutof_layers: [9]
                    start_layer: -1
                task: reranker
                data:
                  train:
                    path: data/train.jsonl
                output_dir: runs/x
                """.formatted(model));
        RecipeException e = assertThrows(RecipeException.class,
                () -> new RecipeLoader(WITH_TOY, Map.of(), RecipeCheck.builtIn()).load(f, List.of()));
        List<String> problems = e.problems().stream().map(Problem::toString).toList();
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("opts.yaml:4:5: model.options.cutof_layers: unknown key (did you mean 'cutoff_layers'?); valid keys: cutoff_layers, start_layer"),
                problems.toString());
        assertTrue(problems.get(1).contains("opts.yaml:5:18: model.options.start_layer: -1 is out of range; must be at least 0"),
                problems.toString());

        Files.writeString(f, Files.readString(f).replace("cutof_layers", "cutoff_layers").replace("start_layer: -1", "start_layer: 10"));
        LoadedRecipe loaded = new RecipeLoader(WITH_TOY, Map.of(), RecipeCheck.builtIn()).load(f, List.of());
        assertEquals(new TestPlugins.ToyOptions(List.of(9), 10), loaded.boundModelOptions());
    }

    @Test
    void anAbsentTemplateIsTheArchitecturesDefaultForTheTask() throws IOException {
        Path model = toyModel("toy-lm");
        Path f = write("gen.yaml", MINIMAL.replace("source: models/minilm", "source: " + model)
                .replace("task: reranker", "task: generative_reranker"));
        LoadedRecipe loaded = new RecipeLoader(WITH_TOY, Map.of(), RecipeCheck.builtIn()).load(f, List.of());
        assertEquals("qwen3-reranker", loaded.recipe().requireTemplate().id());
        assertEquals(new TestPlugins.ToyOptions(List.of(-1), 8), loaded.boundModelOptions());
        assertFalse(loaded.provisionalTemplate());
        // a Hub model no architecture knows: the generic pair template until the download tells the architecture
        LoadedRecipe hub = load(write("hub.yaml", MINIMAL.replace("models/minilm", "someone/some-reranker")));
        assertEquals("pair", hub.recipe().requireTemplate().id());
        assertTrue(hub.provisionalTemplate());
        assertNull(hub.modelOptions());
        // a generative reranker's prompt cannot be guessed
        List<String> p = problems(write("hubgen.yaml", MINIMAL.replace("models/minilm", "someone/some-lm")
                .replace("task: reranker", "task: generative_reranker")));
        assertTrue(p.get(0).contains("template: a generative reranker's prompt depends on its model"), p.toString());
    }

    /** train.gradient_checkpointing: off by default, parsed, misspellings suggested, and the estimate models it. */
    @Test
    void devicesAllIsDataParallelAndDeviceListsAreChecked() throws IOException {
        Path f = write("r.yaml", MINIMAL);
        Recipe single = load(f).recipe();
        assertEquals(List.of("auto"), single.devices().devices());
        assertEquals(Recipe.Strategy.SINGLE, single.devices().strategy());
        Path all = write("all.yaml", MINIMAL + "devices: all\n");
        Recipe r = load(all).recipe();
        assertEquals(List.of("all"), r.devices().devices());
        assertEquals(Recipe.Strategy.DATA_PARALLEL, r.devices().strategy());
        assertEquals(50, r.devices().checkEvery());
        Recipe dp = load(f, "devices.devices=[cpu, cpu]", "devices.strategy=data_parallel", "devices.check_every=5").recipe();
        assertEquals(List.of("cpu", "cpu"), dp.devices().devices());
        assertEquals(5, dp.devices().checkEvery());
        List<String> two = problems(f, "devices.devices=[gpu:0, gpu:1]");
        assertEquals(1, two.size(), two.toString());
        assertTrue(two.get(0).contains("devices.devices: [gpu:0, gpu:1] names several devices, but devices.strategy is single; "
                + "add strategy: data_parallel"), two.toString());
        List<String> typo = problems(f, "devices.devices=[cpu, gpo:1]", "devices.strategy=data_parallel");
        assertTrue(typo.toString().contains("unknown device 'gpo:1'") && typo.toString().contains("valid: auto, cpu, gpu, gpu:N, all"),
                typo.toString());
        List<String> mixed = problems(f, "devices.devices=[all, cpu]", "devices.strategy=data_parallel");
        assertTrue(mixed.toString().contains("'all' stands alone"), mixed.toString());
    }

    @Test
    void gradientCheckpointingKeysAndTheMemoryEstimate() throws IOException {
        Path f = write("r.yaml", MINIMAL);
        Recipe plain = load(f).recipe();
        assertEquals(false, plain.train().gradientCheckpointing());
        assertEquals(1, plain.train().gradientCheckpointingEvery());
        Recipe ck = load(f, "train.gradient_checkpointing=true", "train.gradient_checkpointing_every=2").recipe();
        assertEquals(true, ck.train().gradientCheckpointing());
        assertEquals(2, ck.train().gradientCheckpointingEvery());
        List<String> typo = problems(f, "train.gradient_checkpoint=true");
        assertTrue(typo.toString().contains("did you mean 'gradient_checkpointing'?"), typo.toString());
        assertTrue(problems(f, "train.gradient_checkpointing_every=0").toString().contains("gradient_checkpointing_every"));

        // a Qwen3-0.6B-shaped model: 28 layers, hidden 1024, 16 heads
        var shape = new dev.winnow.api.model.ModelShape(596_000_000L, 28, 1024, 16, 155_000_000L, 10_000_000L);
        var kept = dev.winnow.core.run.MemoryEstimate.of(shape, plain, 8_000_000_000L, "cpu");
        var every1 = dev.winnow.core.run.MemoryEstimate.of(shape, load(f, "train.gradient_checkpointing=true").recipe(),
                8_000_000_000L, "cpu");
        var every2 = dev.winnow.core.run.MemoryEstimate.of(shape, ck, 8_000_000_000L, "cpu");
        assertTrue(every1.activations() * 10 < kept.activations(), every1.activations() + " vs " + kept.activations());
        assertTrue(every1.activations() < every2.activations(), "a longer segment keeps more while it is recomputed");
        assertEquals(kept.weights(), every1.weights());
        String advice = kept.explain();
        assertTrue(!kept.fits(), advice);
        int at = advice.indexOf("train.gradient_checkpointing: true");
        assertTrue(at > 0 && at < advice.indexOf("a smaller train.batch_size"), "checkpointing is offered before smaller batches: " + advice);
        assertTrue(!every1.explain().contains("train.gradient_checkpointing: true"), "not offered when already on");
    }
}
