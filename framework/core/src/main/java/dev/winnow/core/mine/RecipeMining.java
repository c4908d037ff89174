package dev.winnow.core.mine;

import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.JsonRows;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.recipe.Recipe;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A recipe's {@code data.mine} step: mines hard negatives for the training records before they are grouped, with
 * the section's embedding model (default: the recipe's {@code model.source}, with its pooling), writes the mined
 * data to {@code <output_dir>/mined-train.jsonl} (FlagEmbedding rows) for inspection, and prints the statistics.
 */
public final class RecipeMining {
    /** The mined training data, beside the run's other outputs. */
    public static final String FILE = "mined-train.jsonl";

    private RecipeMining() {}

    /** The records with mined negatives, or the records themselves when the recipe has no {@code data.mine}. */
    public static List<QueryRecord> apply(Recipe recipe, List<QueryRecord> records, PrintStream out) {
        MineOptions options = recipe.data().mine();
        if (options == null) {
            return records;
        }
        String model = options.model() != null ? options.model() : recipe.model().source();
        String pooling = options.pooling() != null ? options.pooling()
                : options.model() == null ? recipe.model().pooling() : null;
        long seed = options.seed() != null ? options.seed() : recipe.train().seed();
        Corpus corpus = options.corpus() == null ? null : Corpus.read(JsonRows.resolve(options.corpus(), Path.of(".")));
        out.println("data.mine: hard negatives from " + model);
        HardNegativeMiner.Result result;
        try (Embedder embedder = Embedder.load(model, pooling, true, options.maxLength(), options.batchSize(),
                recipe.devices().devices().get(0))) {
            result = HardNegativeMiner.mine(records, corpus, TextEncoder.of(embedder), options, seed, out);
        }
        Path file = Path.of(recipe.outputDir()).resolve(FILE);
        MinedWriter.write(result.queries(), MinedWriter.Format.FLAGEMBEDDING, file);
        for (String line : result.stats().lines()) {
            out.println("  " + line);
        }
        out.println("  mined training data written to " + file);
        return result.records();
    }
}
