package dev.winnow.core.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.TeacherScoresSource;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.RankingBatch;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** distillation-needs-teacher-scores: a loss that learns from teacher scores on data without them fails validation. */
class DistillationTeacherScoresCheckTest {
    /** A format whose config says whether it reads teacher scores, as flagembedding's does. */
    record ScoredConfig(@Doc("read teacher scores") @Default("true") boolean teacherScores) implements TeacherScoresSource {
        @Override
        public String teacherScoresKeys() {
            return "teacher_scores";
        }
    }

    static final class Distill implements DistillationLoss {
        @Override
        public NDArray compute(RankingBatch batch) {
            return batch.scores().sum();
        }
    }

    static final class Plugin implements WinnowPlugin {
        @Override
        public String name() {
            return "test-distillation";
        }

        @Override
        public void register(Registrar r) {
            r.loss("distill_ce", NoConfig.class, Distill.class, (c, ctx) -> new Distill());
            DatasetFormat format = (row, origin) -> List.of();
            r.format("flagembedding", ScoredConfig.class, (c, ctx) -> format);
        }
    }

    static final ComponentRegistry REGISTRY = ComponentRegistry.of(new TestPlugins.Builtins(), new Plugin());

    @TempDir
    Path dir;

    LoadedRecipe load(String loss, String data) throws IOException {
        Path f = dir.resolve("r.yaml");
        Files.writeString(f, """
                model: {source: models/minilm}
                task: reranker
                data:
                %s
                loss: %s
                output_dir: runs/x
                """.formatted(data.indent(2).stripTrailing(), loss));
        return new RecipeLoader(REGISTRY, Map.of(), RecipeCheck.builtIn()).load(f, List.of());
    }

    String problem(String loss, String data) {
        RecipeException e = assertThrows(RecipeException.class, () -> load(loss, data));
        assertEquals(1, e.problems().size(), e.problems().toString());
        assertTrue(e instanceof UserException);
        return e.problems().get(0).toString();
    }

    @Test
    void aFormatWithoutTeacherScoresIsRefusedNamingTheLossAndWhatSuppliesThem() {
        String p = problem("distill_ce", "train: {path: t.jsonl, format: mteb}");
        assertTrue(p.contains("data.train.format"), p);
        assertTrue(p.contains("loss 'distill_ce' learns from teacher scores"), p);
        assertTrue(p.contains("format mteb supplies none"), p);
        assertTrue(p.contains("format flagembedding (rows with pos_scores / neg_scores, as runner annotate writes them)"), p);
        assertTrue(p.contains("data.teacher"), p);
        assertTrue(p.contains("r.yaml:4"), p); // the data.train line
    }

    @Test
    void aFormatSetNotToReadThemIsRefusedNamingItsKey() {
        String p = problem("{type: distill_ce}", "train: {path: t.jsonl, format: {type: flagembedding, teacher_scores: false}}");
        assertTrue(p.contains("format flagembedding is not set to read them (its teacher_scores)"), p);
    }

    @Test
    void miningWithoutATeacherLeavesTheMinedNegativesUnscored() {
        String p = problem("distill_ce", "train: {path: t.jsonl, format: flagembedding}\nmine: {}");
        assertTrue(p.contains("data.mine"), p);
        assertTrue(p.contains("mined ones that have none"), p);
    }

    @Test
    void teacherScoresFromTheFormatOrFromDataTeacherPass() throws IOException {
        load("distill_ce", "train: {path: t.jsonl, format: flagembedding}");
        load("distill_ce", "train: {path: t.jsonl, format: mteb}\nteacher: {}");
        load("distill_ce", "train: {path: t.jsonl, format: flagembedding}\nmine: {}\nteacher: {model: models/teacher}");
        // a loss that needs no teacher scores is not concerned
        load("listwise_ce", "train: {path: t.jsonl, format: mteb}");
    }
}
