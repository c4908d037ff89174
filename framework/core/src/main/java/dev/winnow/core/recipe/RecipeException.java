package dev.winnow.core.recipe;

import dev.winnow.api.UserException;
import java.util.List;
import java.util.stream.Collectors;

/** Every problem found in a recipe, one per line as {@code file:line:col: key: message}. */
public final class RecipeException extends UserException {
    private final List<Problem> problems;

    public RecipeException(List<Problem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }

    static String format(List<Problem> problems) {
        String head = problems.size() == 1 ? "the recipe has 1 problem:" : "the recipe has " + problems.size() + " problems:";
        return head + "\n" + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
    }
}
