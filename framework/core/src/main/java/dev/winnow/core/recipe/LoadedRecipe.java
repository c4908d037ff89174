package dev.winnow.core.recipe;

import java.nio.file.Path;
import java.util.Map;

/** A bound, validated recipe with the position of every key, for later messages. */
public record LoadedRecipe(Path file, Recipe recipe, Map<String, Position> positions) {
    public LoadedRecipe {
        positions = Map.copyOf(positions);
    }

    /** The position of a key path such as {@code train.optimizer.lr}, or the file start. */
    public Position position(String keyPath) {
        return positions.getOrDefault(keyPath, new Position(file.toString(), 1, 1));
    }
}
