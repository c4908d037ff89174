package dev.winnow.embeddinglosses;

import static dev.winnow.embeddinglosses.Batches.pairs;
import static dev.winnow.embeddinglosses.Batches.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin as the framework sees it: discovery, recipe binding (defaults, nested inner loss) and factories. */
class EmbeddingLossesPluginTest {
    /** What a recipe needs besides the loss: a template, a format and a ranking loss to misuse. */
    public static final class Stand implements WinnowPlugin {
        @Override
        public String name() {
            return "stand";
        }

        @Override
        public void register(Registrar r) {
            PromptTemplate template = (in, tok, max) -> new Encoded(new long[0], new long[0], false);
            r.template("pair", NoConfig.class, (c, ctx) -> template);
            DatasetFormat format = (row, origin) -> List.of();
            r.format("mteb", NoConfig.class, (c, ctx) -> format);
            RankingLoss ranking = (s, l, m) -> s.sum();
            r.loss("some_ranking", NoConfig.class, RankingLoss.class, (c, ctx) -> ranking);
        }
    }

    private static final ComponentRegistry REGISTRY = ComponentRegistry.of(new EmbeddingLossesPlugin(), new Stand());

    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @Test
    void isDiscoveredWithEveryLoss() {
        assertTrue(ComponentRegistry.discover().ids(ComponentKind.LOSS).containsAll(
                List.of("infonce", "cached_infonce", "cosine_similarity", "contrastive", "online_contrastive", "matryoshka")));
    }

    private ComponentSpec<Loss> bind(String loss) throws IOException {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, """
                model:
                  source: models/minilm
                task: embedding
                template: pair
                data:
                  train:
                    path: data/train.jsonl
                output_dir: runs/x
                eval: {evaluators: []}
                export: {exporters: []}
                loss: %s
                """.formatted(loss));
        return new RecipeLoader(REGISTRY, Map.of(), List.of()).load(f, List.of()).recipe().loss();
    }

    private static Loss build(ComponentSpec<Loss> spec) {
        return new Components(REGISTRY, 42, Path.of(".")).create(spec);
    }

    @Test
    void infonceDefaults() throws IOException {
        ComponentSpec<Loss> spec = bind("infonce");
        assertEquals(InfonceConfig.defaults(), spec.config());
        assertInstanceOf(InfonceLoss.class, build(spec));
        assertEquals(new InfonceConfig(0.05, false, 4, true, 0.2, false, false),
                bind("{type: infonce, temperature: 0.05, use_batch: false, hard_negatives: 4, mask_fake_negative: true,"
                        + " fake_negative_margin: 0.2}").config());
        assertEquals(ContrastiveConfig.defaults(), bind("online_contrastive").config());
        assertEquals(ContrastiveConfig.defaults(), bind("contrastive").config());
    }

    @Test
    void matryoshkaBuildsItsInnerLossThroughTheRegistry() throws IOException {
        ComponentSpec<Loss> spec = bind("{type: matryoshka, dims: [1, 2], weights: [0.25, 1], loss: cosine_similarity}");
        MatryoshkaLoss loss = assertInstanceOf(MatryoshkaLoss.class, build(spec));
        assertInstanceOf(CosineSimilarityLoss.class, loss.inner());
        try (NDManager m = NDManager.newBaseManager()) {
            // the hand-computed case of MatryoshkaLossTest: .625
            assertEquals(.625, value(loss, pairs(m, new double[][] {{1, 1}, {2, 1}}, new double[][] {{1, -1}, {-1, 2}},
                    new double[] {1, 0})), 1e-6);
        }
        MatryoshkaLoss withOptions = assertInstanceOf(MatryoshkaLoss.class,
                build(bind("{type: matryoshka, dims: [64, 128], loss: {type: infonce, temperature: 0.02, include_qq: true}}")));
        assertEquals(List.of(1.0, 1.0), withOptions.weights());
        assertEquals(new InfonceConfig(0.02, true, null, false, 0.1, true, false),
                ((InfonceLoss) withOptions.inner()).config());
        MatryoshkaLoss byDefault = assertInstanceOf(MatryoshkaLoss.class, build(bind("{type: matryoshka, dims: [8]}")));
        assertInstanceOf(InfonceLoss.class, byDefault.inner());
    }

    @Test
    void matryoshkaRefusesANonEmbeddingInnerLoss() throws IOException {
        ComponentSpec<Loss> spec = bind("{type: matryoshka, dims: [8], loss: some_ranking}");
        UserException e = assertThrows(UserException.class, () -> build(spec));
        assertTrue(e.getMessage().contains("'some_ranking' is not one"), e.getMessage());
    }

    @Test
    void recipeMistakesAreReportedByTheBinder() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> bind("{type: infonce, temperature: 0}"));
        assertTrue(e.toString().contains("temperature"), e.toString());
        RuntimeException inner = assertThrows(RuntimeException.class,
                () -> bind("{type: matryoshka, dims: [8], loss: {type: infonce, temprature: 0.1}}"));
        assertTrue(inner.toString().contains("temprature"), inner.toString());
    }
}
