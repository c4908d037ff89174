package dev.winnow.api.export;

import dev.winnow.api.model.WinnowModel;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What an exporter writes from. {@code outputDirectory} is a fresh temporary directory that the framework
 * renames into place once the exporter returns, so an exporter never needs to be atomic itself.
 *
 * @param sourceDirectory the model's original directory (tokenizer files are copied from there)
 * @param recipeYaml the fully resolved recipe, for the model card
 * @param embedding for {@code task: embedding}, the pooling and prompts the export records; null for rerankers
 */
public record ExportRequest(
        WinnowModel model,
        Path sourceDirectory,
        Path outputDirectory,
        String recipeYaml,
        Map<String, Double> metrics,
        @Nullable EmbeddingExport embedding) {

    public ExportRequest(WinnowModel model, Path sourceDirectory, Path outputDirectory, String recipeYaml,
            Map<String, Double> metrics) {
        this(model, sourceDirectory, outputDirectory, recipeYaml, metrics, null);
    }
}
