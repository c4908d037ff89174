package dev.winnow.core.recipe;

/** One thing wrong with a recipe, at a position, under a key path such as {@code train.optimizer.lr}. */
public record Problem(Position position, String key, String message) {
    @Override
    public String toString() {
        return position + ": " + (key.isEmpty() ? "" : key + ": ") + message;
    }
}
