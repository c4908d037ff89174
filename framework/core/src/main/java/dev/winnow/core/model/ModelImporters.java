package dev.winnow.core.model;

import dev.winnow.api.ComponentFactory;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.NoConfig;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelImporter;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import java.nio.file.Path;
import java.util.List;

/**
 * The importers that plugins register ({@link ComponentKind#IMPORTER}), and the choice of one for a file: the first,
 * by id, that {@linkplain ModelImporter#accepts accepts} it. Core holds no importer of its own: the ONNX BERT importer
 * lives in the bert plugin.
 */
public final class ModelImporters {
    private ModelImporters() {}

    /** Imports {@code modelFile} with the first registered importer that reads it. */
    public static void importTo(ComponentRegistry registry, Path modelFile, Path tokenizerJson, Path outDir) {
        forFile(registry, modelFile).importTo(modelFile, tokenizerJson, outDir);
    }

    /** The importer for {@code modelFile}; a user error listing the registered importers when none reads it. */
    public static ModelImporter forFile(ComponentRegistry registry, Path modelFile) {
        List<Registration<?, ModelImporter>> all = registry.all(ComponentKind.IMPORTER);
        for (Registration<?, ModelImporter> r : all) {
            ModelImporter importer = instance(r);
            if (importer.accepts(modelFile)) {
                return importer;
            }
        }
        throw new UserException(modelFile + ": no importer on the class path reads this file (registered importers: "
                + (all.isEmpty() ? "none" : String.join(", ", all.stream()
                        .map(r -> r.id() + " (." + instance(r).extension() + ", plugin " + r.pluginName() + ")").toList()))
                + "); the bert plugin imports BERT ONNX exports such as the langchain4j embedding jars'");
    }

    private static ModelImporter instance(Registration<?, ModelImporter> r) {
        @SuppressWarnings("unchecked")
        var factory = (ComponentFactory<NoConfig, ? extends ModelImporter>) r.factory();
        return factory.create(new NoConfig(), StaticContext.INSTANCE);
    }
}
