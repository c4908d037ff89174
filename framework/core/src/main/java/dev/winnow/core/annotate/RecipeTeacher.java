package dev.winnow.core.annotate;

import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.train.Progress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A recipe's {@code data.teacher} step: after {@code data.mine} (so mined negatives are scored too) and before
 * grouping, scores every training (query, candidate) with the section's teacher (default: the recipe's {@code
 * model.source}) and writes the annotated data to {@code <output_dir>/teacher-train.jsonl} (FlagEmbedding rows
 * with pos_scores/neg_scores); an interrupted run's partial file is continued.
 */
public final class RecipeTeacher {
    public static final String FILE = "teacher-train.jsonl";

    private RecipeTeacher() {}

    /** The records with teacher scores, or the records themselves when the recipe has no {@code data.teacher}. */
    public static List<QueryRecord> apply(Recipe recipe, List<QueryRecord> records, PrintStream out) {
        TeacherOptions options = recipe.data().teacher();
        if (options == null) {
            return records;
        }
        String model = options.model() != null ? options.model() : recipe.model().source();
        TeacherOptions resolved = new TeacherOptions(model, options.kind(), options.pooling(), options.queryPrompt(),
                options.batchSize(), options.maxLength());
        List<QueryRecord> withPositive = records.stream().filter(r -> !r.positives().isEmpty()).toList();
        Path file = Path.of(recipe.outputDir()).resolve(FILE);
        Annotator.Result result;
        try (Teacher teacher = Teacher.load(resolved, recipe.devices().devices().get(0))) {
            out.println("data.teacher: teacher scores from " + teacher.describe());
            result = Annotator.annotate(withPositive, teacher, file, out, Progress.isTerminal());
        }
        out.printf(Locale.ROOT, "  %d queries annotated (%d resumed), %d pairs scored at %.1f pairs/s; written to %s%n",
                result.records().size(), result.resumed(), result.pairs(), result.pairsPerSecond(), file);
        if (withPositive.size() < records.size()) {
            out.println("  " + (records.size() - withPositive.size()) + " training queries without a positive are left out");
        }
        return result.records();
    }
}
