package dev.winnow.cli;

import dev.winnow.api.UserException;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.run.MemoryEstimate;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code runner validate <recipe.yaml> [key=value ...]}: every problem at once, nothing loaded. */
final class ValidateCommand implements Command {
    @Override
    public String name() {
        return "validate";
    }

    @Override
    public String summary() {
        return "check a recipe and report every problem with file:line:col; loads no model";
    }

    @Override
    public String help() {
        return """
                runner validate <recipe.yaml> [key.path=value ...]

                Loads the recipe with its base recipes, overrides and ${VAR} references, binds every section and
                component, and runs the cross-field checks. Every problem is printed with file:line:col, the key,
                what is wrong and what would be valid. A valid recipe's memory estimate (weights, gradients, AdamW
                state, activations against the device) is printed when its model's size is known without a download.
                Exit code 0 when valid, 2 when not.""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of(), Set.of());
        LoadedRecipe loaded = load(args.positionals(), name());
        Recipe r = loaded.recipe();
        out.println(loaded.file() + " is valid: task " + r.task().id() + ", model " + r.model().source() + ", loss "
                + r.loss().id() + ", " + r.train().type().name().toLowerCase() + " training, output in " + r.outputDir());
        // the memory estimate that `runner run` checks before anything loads, when the architecture can tell it from a
        // local config.json or a Hub id it knows (nothing is loaded or downloaded here either)
        ai.djl.Device device = dev.winnow.nn.engine.WinnowEngine.device(r.devices().devices().get(0));
        long available = device.isGpu() ? ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax() : MemoryEstimate.physicalMemory();
        MemoryEstimate.forRecipe(r, ComponentRegistry.discover(), available, device.toString()).ifPresent(e -> out.println(e.explain()));
        return Main.OK;
    }

    /** Recipe file first, then key=value overrides. */
    static LoadedRecipe load(List<String> positionals, String command) {
        if (positionals.isEmpty()) {
            throw new UserException("runner " + command + ": give a recipe file, e.g. runner " + command
                    + " recipes/quickstart-minilm-reranker.yaml");
        }
        Path file = Path.of(positionals.get(0));
        List<String> overrides = positionals.subList(1, positionals.size());
        for (String o : overrides) {
            if (!o.contains("=")) {
                throw new UserException("runner " + command + ": '" + o + "' is not an override; write key.path=value");
            }
        }
        return new RecipeLoader(ComponentRegistry.discover()).load(file, overrides);
    }
}
