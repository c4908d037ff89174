package dev.winnow.core.recipe;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.Task;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.recipe.YNode.YMap;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a recipe needs from its model's architecture before it runs: the record {@code model.options} binds to, and
 * the template a task uses when the recipe names none. The architecture is {@code model.type} when it names one,
 * else the one reading {@code config.json}'s {@code model_type} of a local source, else the one that knows the Hub
 * id ({@link ModelArchitecture#knownConfigs()}); for a Hub model it does not know, both wait until the download.
 */
final class ArchitectureBinding {
    private ArchitectureBinding() {}

    /** The architecture of a recipe's model, when it can be told without downloading anything. */
    static Optional<ModelArchitecture> resolve(Recipe.ModelSection model, ComponentRegistry registry) {
        if (!model.type().equals("auto")) {
            return registry.find(ComponentKind.MODEL, model.type()).map(ModelLoader::instance);
        }
        List<ModelArchitecture> all = ModelLoader.architectures(registry);
        Object type = null;
        try {
            Path local = Path.of(model.source());
            if (Files.isRegularFile(local.resolve("config.json"))) {
                type = ModelDirectory.of(local).modelType().orElse(null);
            }
        } catch (RuntimeException e) {
            return Optional.empty(); // not a readable local directory: the model loader reports it
        }
        if (type == null) {
            for (ModelArchitecture a : all) {
                Map<String, Object> known = a.knownConfigs().get(model.source());
                if (known != null) {
                    type = known.get("model_type");
                }
            }
        }
        Object modelType = type;
        return modelType == null ? Optional.empty() : all.stream().filter(a -> a.modelTypes().contains(String.valueOf(modelType))).findFirst();
    }

    /** Binds {@code model.options} (absent: an empty mapping) to the architecture's options record. */
    static @Nullable Record bindOptions(ModelArchitecture architecture, @Nullable YNode node, ComponentRegistry registry,
            List<Problem> problems, Map<String, Position> positions, Path file) {
        YNode options = node != null ? node : new YMap(Map.of(), new Position(file.toString(), 1, 1));
        return new Binder(registry, problems, positions).bindRecord(architecture.optionsType(), options, "model.options", List.of());
    }

    /**
     * The template a task uses when the recipe names none: the architecture's; without a known architecture, the
     * generic ones ({@code pair} for a cross-encoder, {@code text} for an embedder). A generative reranker's yes/no
     * prompt depends on the model, so it must be named when the architecture is not known.
     */
    static @Nullable ComponentSpec<PromptTemplate> defaultTemplate(Task task, Optional<ModelArchitecture> architecture,
            ComponentRegistry registry, Position at, List<Problem> problems) {
        String id = architecture.map(a -> a.defaultTemplate(task)).orElse(switch (task) {
            case RERANKER -> "pair";
            case EMBEDDING -> "text";
            case GENERATIVE_RERANKER -> null;
        });
        if (id == null) {
            problems.add(new Problem(at, "template", "a generative reranker's prompt depends on its model, whose architecture "
                    + "is not known before the download; name the template (such as qwen3-reranker) or set model.type"));
            return null;
        }
        Optional<Registration<?, PromptTemplate>> r = registry.find(ComponentKind.TEMPLATE, id);
        if (r.isEmpty()) {
            problems.add(new Problem(at, "template", "the model's default template '" + id + "' is not registered; available: "
                    + String.join(", ", registry.ids(ComponentKind.TEMPLATE))));
            return null;
        }
        return new ComponentSpec<>(r.get(), ConfigDefaults.of(r.get().configType()), Position.defaultOf("template"));
    }
}
