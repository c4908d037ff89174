package dev.winnow.core.run;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.LayerwiseModel;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.data.Group;
import dev.winnow.core.infer.PairScorer;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.TrainLoop;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code task: reranker}: a cross-encoder with a classification head, scored on (query, document) pairs through a
 * pair template and trained with a ranking loss over groups of candidates.
 */
final class RerankerRun {
    private final LoadedRecipe loaded;
    private final ComponentRegistry registry;
    private final PrintStream out;
    private final String version;

    RerankerRun(LoadedRecipe loaded, ComponentRegistry registry, PrintStream out, String version) {
        this.loaded = loaded;
        this.registry = registry;
        this.out = out;
        this.version = version;
    }

    RecipeRunner.RunSummary run() {
        // setup: data, template, loss, model
        try (RunSetup setup = RunSetup.prepare(loaded, registry, out, version);
                NDManager manager = NDManager.newBaseManager(setup.device)) {
            PromptTemplate template = setup.create(setup.template);
            RankingLoss loss = (RankingLoss) setup.create(setup.recipe.loss());
            TextModel model = setup.loadModel(setup.modelOptions(), manager);
            PairScorer scorer = new PairScorer(model, template, setup.recipe.eval().batchSize(), manager);

            // evaluate before
            RunSetup.Evaluations before = setup.evaluateBefore(scorer);

            // train
            RunSetup.Trainable trainable = setup.trainable(model.model(), manager);
            // a model with a score head per layer trains every head at once (FlagEmbedding's layerwise reranker)
            boolean layerwise = model.model() instanceof LayerwiseModel;
            if (layerwise && setup.recipe.devices().strategy() == dev.winnow.core.recipe.Recipe.Strategy.DATA_PARALLEL) {
                throw new dev.winnow.api.UserException("devices.strategy: data_parallel is not available for the layerwise "
                        + "reranker (" + model.model().architecture() + ") yet; use strategy: single");
            }
            TextModel trained = setup.replicate(model, setup.modelOptions(), trainable);
            TrainLoop.LossFunction<List<Group>> step = layerwise
                    ? new LayerwiseRerankerStep(model, template, loss, setup.recipe.loss().id(), setup.truncation)::loss
                    : new RerankerStep(trained, template, loss, setup.recipe.loss().id(), setup.truncation)::loss;
            TrainLoop.Result result = setup.train(trainable, setup.recipe.data().grouping(), step, scorer, before);
            if (result.interrupted()) {
                return setup.interrupted(before, result);
            }

            // evaluate after, on the best checkpoint
            RunSetup.Evaluations after = setup.evaluateAfter(result, trainable, manager, scorer, before);

            // export
            Path export = setup.export(model.model(), trainable, after, null);
            return setup.finish(before, after, result, export);
        }
    }
}
