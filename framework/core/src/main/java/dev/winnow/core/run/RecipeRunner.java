package dev.winnow.core.run;

import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.Checkpoints;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Runs a validated recipe end to end through the run class of its task, each of which reads top to bottom as the
 * lifecycle of a run: setup, evaluate before, train, evaluate after (on the best checkpoint), export, summary.
 * <ul>
 *   <li>{@code task: reranker}: {@link RerankerRun}</li>
 *   <li>{@code task: generative_reranker}: {@link GenerativeRerankerRun}</li>
 *   <li>{@code task: embedding}: {@link EmbeddingRun}</li>
 * </ul>
 */
public final class RecipeRunner {
    private final ComponentRegistry registry;
    private final PrintStream out;
    private final String version;

    public RecipeRunner(ComponentRegistry registry, PrintStream out, String version) {
        this.registry = registry;
        this.out = out;
        this.version = version;
    }

    /** What a run produced. */
    public record RunSummary(Path runDir, Map<String, Double> evalBefore, Map<String, Double> evalAfter,
            Map<String, Double> testBefore, Map<String, Double> testAfter, @Nullable Path export,
            @Nullable Path bestCheckpoint, long steps, double trainSeconds, double examplesPerSecond,
            double wallSeconds, boolean interrupted) {}

    public RunSummary run(LoadedRecipe loaded) {
        return switch (loaded.recipe().task()) {
            case RERANKER -> new RerankerRun(loaded, registry, out, version).run();
            case GENERATIVE_RERANKER -> new GenerativeRerankerRun(loaded, registry, out, version).run();
            case EMBEDDING -> new EmbeddingRun(loaded, registry, out, version).run();
        };
    }

    /** For {@code runner resume}: the newest complete checkpoint of a run directory, if any. */
    public static @Nullable Path latestCheckpoint(Path runDir) {
        return Checkpoints.latest(runDir).orElse(null);
    }
}
