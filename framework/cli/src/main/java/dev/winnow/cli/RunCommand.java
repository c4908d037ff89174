package dev.winnow.cli;

import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.run.RecipeRunner;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code runner run <recipe.yaml> [key=value ...]} (also {@code runner <recipe.yaml>}). */
final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a recipe: evaluate, train, evaluate again, export";
    }

    @Override
    public String help() {
        return """
                runner run <recipe.yaml> [key.path=value ...]
                runner <recipe.yaml> [key.path=value ...]

                Validates the recipe (every problem at once), writes <output_dir>/recipe.resolved.yaml, loads the
                model and data, evaluates before training, trains (metrics.jsonl, training.png, checkpoint-N/),
                evaluates the best checkpoint, prints before/after tables and exports. Ctrl-C saves a checkpoint
                and stops; `runner resume <output_dir>` continues where it stopped.""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of(), Set.of());
        LoadedRecipe loaded = ValidateCommand.load(args.positionals(), name());
        var summary = new RecipeRunner(ComponentRegistry.discover(), out, Version.current()).run(loaded);
        return summary.interrupted() ? Main.INTERRUPTED : Main.OK;
    }
}
