package dev.winnow.api;

import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelImporter;
import dev.winnow.api.text.PromptTemplate;
import java.util.List;

/**
 * A kind of component a plugin can contribute. The {@link #section()} is the recipe key under which a
 * {@code type: <id>} node selects a component of this kind.
 *
 * @param <T> what the component's factory produces
 */
public record ComponentKind<T>(String section, Class<T> type, String description) {
    public static final ComponentKind<ModelArchitecture> MODEL =
            new ComponentKind<>("model", ModelArchitecture.class, "model architectures (matched to config.json model_type); their keys go under model.options");
    public static final ComponentKind<Loss> LOSS = new ComponentKind<>("loss", Loss.class, "training losses");
    public static final ComponentKind<DatasetFormat> FORMAT =
            new ComponentKind<>("format", DatasetFormat.class, "dataset row formats and conversions");
    public static final ComponentKind<PromptTemplate> TEMPLATE =
            new ComponentKind<>("template", PromptTemplate.class, "prompt templates");
    public static final ComponentKind<Evaluator> EVALUATOR =
            new ComponentKind<>("evaluator", Evaluator.class, "evaluators");
    public static final ComponentKind<Exporter> EXPORTER = new ComponentKind<>("exporter", Exporter.class, "exporters");
    public static final ComponentKind<ModelImporter> IMPORTER = new ComponentKind<>("importer", ModelImporter.class,
            "model importers (weights in other formats, such as maven: ONNX jars, turned into Hugging Face directories; not a recipe key)");

    /** Every kind, in the order {@code runner plugins} lists them. */
    public static List<ComponentKind<?>> all() {
        return List.of(MODEL, LOSS, FORMAT, TEMPLATE, EVALUATOR, EXPORTER, IMPORTER);
    }
}
