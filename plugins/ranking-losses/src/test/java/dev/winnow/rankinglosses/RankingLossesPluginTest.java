package dev.winnow.rankinglosses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.GradCachedRankingLoss;
import dev.winnow.api.loss.InBatchNegativesLoss;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import dev.winnow.rankinglosses.LambdaLoss.LogBase;
import dev.winnow.rankinglosses.LambdaLoss.Scheme;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin as a recipe sees it: every loss discovered, recipe keys and sentence-transformers' defaults. */
class RankingLossesPluginTest {
    /** What a recipe needs besides the loss. */
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
        }
    }

    private static final ComponentRegistry REGISTRY = ComponentRegistry.of(new RankingLossesPlugin(), new Stand());

    @TempDir
    Path dir;

    private Loss build(String loss) throws IOException {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, """
                model:
                  source: models/minilm
                task: reranker
                data:
                  train:
                    path: data/train.jsonl
                output_dir: runs/x
                eval: {evaluators: []}
                export: {exporters: []}
                loss: %s
                """.formatted(loss));
        ComponentSpec<Loss> spec = new RecipeLoader(REGISTRY, Map.of(), List.of()).load(f, List.of()).recipe().loss();
        return new Components(REGISTRY, 42, Path.of(".")).create(spec);
    }

    @Test
    void everyLossIsDiscovered() {
        assertTrue(ComponentRegistry.discover().ids(ComponentKind.LOSS).containsAll(List.of("pointwise_bce", "listwise_ce",
                "lambda_loss", "ranknet", "listnet", "listmle", "plistmle", "mnrl", "cached_mnrl", "mse", "margin_mse",
                "distill_ce")));
    }

    @Test
    void sentenceTransformersDefaults() throws IOException {
        assertEquals(new LambdaLoss(Scheme.NDCG_LOSS2PP, 10.0, null, 1.0, 1e-10, LogBase.BINARY), build("lambda_loss"));
        assertEquals(new RankNet(1.0, 1e-10, null, LogBase.BINARY), build("ranknet"));
        assertEquals(new PListMle(false, true), build("listmle"));
        assertEquals(new PListMle(true, true), build("plistmle"));
        assertEquals(new Mnrl(4, 10.0, Mnrl.Activation.SIGMOID), build("mnrl"));
        assertEquals(new CachedMnrl(new Mnrl(4, 10.0, Mnrl.Activation.SIGMOID), 32), build("cached_mnrl"));
        assertEquals(new DistillCe(1.0, 0.0), build("distill_ce"));
    }

    @Test
    void everyOptionBinds() throws IOException {
        assertEquals(new LambdaLoss(Scheme.LAMBDARANK, 2.0, 10, 0.5, 1e-8, LogBase.NATURAL), build(
                "{type: lambda_loss, weighting_scheme: lambdarank, mu: 2.0, k: 10, sigma: 0.5, eps: 1.0e-8, reduction_log: natural}"));
        assertEquals(Scheme.NDCG_LOSS1, ((LambdaLoss) build("{type: lambda_loss, weighting_scheme: ndcg_loss1}")).weightingScheme());
        assertEquals(Scheme.NONE, ((LambdaLoss) build("{type: lambda_loss, weighting_scheme: none}")).weightingScheme());
        assertEquals(new RankNet(2.0, 1e-10, 5, LogBase.NATURAL), build("{type: ranknet, sigma: 2.0, k: 5, reduction_log: natural}"));
        assertEquals(new PListMle(true, false), build("{type: plistmle, respect_input_order: false}"));
        assertEquals(new Mnrl(0, 1.0, Mnrl.Activation.IDENTITY), build("{type: mnrl, num_negatives: 0, scale: 1.0, activation: identity}"));
        CachedMnrl cached = assertInstanceOf(CachedMnrl.class,
                build("{type: cached_mnrl, mini_batch_size: 8, activation: tanh, num_negatives: 2}"));
        assertEquals(new CachedMnrl(new Mnrl(2, 10.0, Mnrl.Activation.TANH), 8), cached);
        assertInstanceOf(InBatchNegativesLoss.class, cached);
        assertInstanceOf(GradCachedRankingLoss.class, cached);
        assertEquals(2, cached.numNegatives());
        assertEquals(8, cached.miniBatchSize());
        assertEquals(new DistillCe(2.0, 0.5), build("{type: distill_ce, temperature: 2.0, ce_weight: 0.5}"));
        assertInstanceOf(DistillationLoss.class, build("distill_ce"));
    }

    @Test
    void mistakesNameTheKeyAndWhatIsValid() {
        RuntimeException scheme = assertThrows(RuntimeException.class, () -> build("{type: lambda_loss, weighting_scheme: ndcg2}"));
        assertTrue(scheme.toString().contains("ndcg_loss2pp"), scheme.toString());
        RuntimeException key = assertThrows(RuntimeException.class, () -> build("{type: mnrl, num_negative: 3}"));
        assertTrue(key.toString().contains("num_negatives"), key.toString());
        RuntimeException range = assertThrows(RuntimeException.class, () -> build("{type: cached_mnrl, mini_batch_size: 0}"));
        assertTrue(range.toString().contains("mini_batch_size"), range.toString());
    }
}
