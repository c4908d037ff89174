package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.recipe.RecipeLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A loss from a jar the framework never saw is discovered, validated in a recipe and built. */
class ThirdPartyPluginTest {
    @TempDir
    Path dir;

    @Test
    void theHingeLossJarIsDiscoveredValidatedAndUsed() throws IOException {
        ComponentRegistry registry = ComponentRegistry.discover();
        var registration = registry.find(ComponentKind.LOSS, "pairwise_hinge").orElseThrow();
        assertEquals("example-hinge-loss", registration.pluginName());
        assertTrue(registration.source().contains("hinge-loss-plugin"), registration.source());

        Path recipeFile = dir.resolve("r.yaml");
        Files.writeString(recipeFile, """
                model: {source: models/minilm}
                task: reranker
                data: {train: {path: train.jsonl, format: labelled_list}}
                loss: {type: pairwise_hinge, margin: 0.5}
                output_dir: runs/x
                """);
        Recipe recipe = new RecipeLoader(registry).load(recipeFile, List.of()).recipe();
        RankingLoss loss = assertInstanceOf(RankingLoss.class, new Components(registry, 1, dir).create(recipe.loss()));

        WinnowEngine.start();
        try (NDManager m = NDManager.newBaseManager()) {
            var scores = m.create(new float[] {1.0f, 0.8f, -1f}, new Shape(1, 3));
            var labels = m.create(new float[] {1, 0, 0}, new Shape(1, 3));
            var mask = m.ones(new Shape(1, 3));
            // pairs: max(0, 0.5 - (1.0 - 0.8)) = 0.3 and max(0, 0.5 - 2.0) = 0; mean 0.15
            assertEquals(0.15f, loss.compute(scores, labels, mask).getFloat(), 1e-6f);
        }
    }

    @Test
    void theKotlinPluginsRecordConfigBindsFromItsConstructorAnnotations() throws IOException {
        ComponentRegistry registry = ComponentRegistry.discover();
        Path recipeFile = dir.resolve("k.yaml");
        Files.writeString(recipeFile, """
                model: {source: models/minilm}
                task: reranker
                data: {train: {path: train.jsonl}}
                loss: example_ranknet
                output_dir: runs/x
                """);
        Recipe recipe = new RecipeLoader(registry).load(recipeFile, List.of()).recipe();
        assertEquals("RankNetConfig(sigma=1.0)", recipe.loss().config().toString());
        Files.writeString(recipeFile, Files.readString(recipeFile).replace("loss: example_ranknet", "loss: {type: example_ranknet, sigma: 0}"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.winnow.core.recipe.RecipeException.class,
                () -> new RecipeLoader(registry).load(recipeFile, List.of()));
        assertEquals(List.of(recipeFile + ":4:38: loss.sigma: 0 is out of range; must be greater than 0"),
                e.problems().stream().map(Object::toString).toList());
    }
}
