package dev.winnow.api.export;

import dev.winnow.api.model.WinnowModel;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an exporter writes from. {@code outputDirectory} is a fresh temporary directory that the framework
 * renames into place once the exporter returns, so an exporter never needs to be atomic itself.
 *
 * @param sourceDirectory the model's original directory (tokenizer files are copied from there)
 * @param recipeYaml the fully resolved recipe, for the model card
 */
public record ExportRequest(
        WinnowModel model,
        Path sourceDirectory,
        Path outputDirectory,
        String recipeYaml,
        Map<String, Double> metrics) {}
