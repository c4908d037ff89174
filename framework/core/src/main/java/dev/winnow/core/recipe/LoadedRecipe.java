package dev.winnow.core.recipe;

import dev.winnow.api.model.ModelArchitecture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A bound, validated recipe with the position of every key, for later messages.
 *
 * @param modelOptions {@code model.options} bound to the record the architecture declares
 *     ({@link ModelArchitecture#optionsType()}), or null while the architecture is not known (a Hub model not yet
 *     downloaded): {@link #withArchitecture} binds it once the model directory is there
 * @param modelOptionsNode the {@code model.options} node as written, for late binding with positions
 * @param provisionalTemplate the recipe names no template and its architecture was not known at load time, so the
 *     template is the generic one for the task until {@link #withArchitecture} puts the architecture's in its place
 */
public record LoadedRecipe(Path file, Recipe recipe, Map<String, Position> positions, @Nullable Record modelOptions,
        @Nullable YNode modelOptionsNode, boolean provisionalTemplate) {
    public LoadedRecipe {
        positions = Map.copyOf(positions);
    }

    /** The position of a key path such as {@code train.optimizer.lr}, or the file start. */
    public Position position(String keyPath) {
        return positions.getOrDefault(keyPath, new Position(file.toString(), 1, 1));
    }

    /** The bound {@code model.options} (see {@link #withArchitecture}). */
    public Record boundModelOptions() {
        if (modelOptions == null) {
            throw new IllegalStateException("model.options are not bound yet: call withArchitecture first");
        }
        return modelOptions;
    }

    /**
     * This recipe with {@code model.options} bound to {@code architecture}'s options record, when that could not be
     * done at load time (the architecture was not known before the download).
     *
     * @throws RecipeException listing every problem of the options with its position
     */
    public LoadedRecipe withArchitecture(ModelArchitecture architecture, dev.winnow.core.registry.ComponentRegistry registry) {
        if (modelOptions != null && !provisionalTemplate) {
            return this;
        }
        List<Problem> problems = new ArrayList<>();
        Map<String, Position> more = new java.util.LinkedHashMap<>(positions);
        Record bound = modelOptions != null ? modelOptions
                : ArchitectureBinding.bindOptions(architecture, modelOptionsNode, registry, problems, more, file);
        Recipe resolved = recipe;
        if (provisionalTemplate) {
            var template = ArchitectureBinding.defaultTemplate(recipe.task(), java.util.Optional.of(architecture), registry,
                    position("task"), problems);
            if (template != null) {
                resolved = recipe.withTemplate(template);
            }
        }
        if (!problems.isEmpty() || bound == null) {
            throw new RecipeException(problems);
        }
        return new LoadedRecipe(file, resolved, more, bound, modelOptionsNode, false);
    }
}
