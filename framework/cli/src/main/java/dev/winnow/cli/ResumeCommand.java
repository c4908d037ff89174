package dev.winnow.cli;

import dev.winnow.api.UserException;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.run.RecipeRunner;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code runner resume <run-dir>}: continue an interrupted run from its newest complete checkpoint. */
final class ResumeCommand implements Command {
    @Override
    public String name() {
        return "resume";
    }

    @Override
    public String summary() {
        return "continue an interrupted run from its newest complete checkpoint";
    }

    @Override
    public String help() {
        return """
                runner resume <run-dir> [key.path=value ...]

                Reads <run-dir>/recipe.resolved.yaml and runs it with train.resume=true: model weights, optimizer
                moments, schedule, data position and random streams come back from the newest complete
                checkpoint, so the loss curve continues exactly as if the run had never stopped.""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of(), Set.of());
        if (args.positionals().isEmpty()) {
            throw new UserException("runner resume: give the run directory (the recipe's output_dir)");
        }
        Path runDir = Path.of(args.positionals().get(0));
        Path recipe = runDir.resolve("recipe.resolved.yaml");
        if (!Files.isRegularFile(recipe)) {
            throw new UserException(runDir + " is not a run directory: it has no recipe.resolved.yaml");
        }
        List<String> overrides = new ArrayList<>(args.positionals().subList(1, args.positionals().size()));
        overrides.add("train.resume=true");
        LoadedRecipe loaded = new RecipeLoader(ComponentRegistry.discover()).load(recipe, overrides);
        var summary = new RecipeRunner(ComponentRegistry.discover(), out, Version.current()).run(loaded);
        return summary.interrupted() ? Main.INTERRUPTED : Main.OK;
    }
}
