package dev.winnow.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.loss.GradCachedRankingLoss;
import dev.winnow.api.loss.InBatchNegativesLoss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory estimate's sequences per micro-batch for in-batch-negatives and gradient-cached reranker losses. */
class SequencesInGraphTest {
    record InBatchConfig(@Doc("drawn") @Default("4") int numNegatives) {}

    record CachedConfig(@Doc("drawn") @Default("4") int numNegatives, @Doc("chunk") @Default("32") int miniBatchSize) {}

    interface InBatch extends InBatchNegativesLoss {}

    interface Cached extends InBatchNegativesLoss, GradCachedRankingLoss {}

    static final class Plugin implements WinnowPlugin {
        @Override
        public String name() {
            return "test-sequences";
        }

        @Override
        public void register(Registrar r) {
            RankingLoss plain = (s, l, m) -> s;
            r.loss("plain", NoConfig.class, RankingLoss.class, (c, ctx) -> plain);
            r.loss("in_batch", InBatchConfig.class, InBatch.class, (c, ctx) -> null);
            r.loss("cached", CachedConfig.class, Cached.class, (c, ctx) -> null);
            PromptTemplate template = (in, tok, max) -> new Encoded(new long[0], new long[0], false);
            r.template("pair", NoConfig.class, (c, ctx) -> template);
            DatasetFormat format = (row, origin) -> List.of();
            r.format("mteb", NoConfig.class, (c, ctx) -> format);
        }
    }

    @TempDir
    Path dir;

    long sequences(String loss) throws IOException {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, """
                model: {source: models/minilm}
                task: reranker
                data: {train: {path: t.jsonl}, group_size: 8}
                train: {batch_size: 16}
                eval: {evaluators: []}
                export: {exporters: []}
                output_dir: runs/x
                loss: %s
                """.formatted(loss));
        Recipe recipe = new RecipeLoader(ComponentRegistry.of(new Plugin()), Map.of(), List.of()).load(f, List.of()).recipe();
        return MemoryEstimate.sequencesInGraph(recipe);
    }

    @Test
    void inBatchRowsAddTheDrawnDocumentsAndGradCacheBoundsThemByItsChunk() throws IOException {
        assertEquals(16 * 8, sequences("plain"));
        assertEquals(16 * (8 + 4), sequences("in_batch"));
        // 0 draws every other group's candidates: 15 x 8 more per row
        assertEquals(16 * (8 + 15 * 8), sequences("{type: in_batch, num_negatives: 0}"));
        assertEquals(32, sequences("cached"));
        assertEquals(16 * (8 + 2), sequences("{type: cached, num_negatives: 2, mini_batch_size: 1000}"));
    }
}
