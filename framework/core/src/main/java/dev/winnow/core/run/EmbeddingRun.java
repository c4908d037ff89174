package dev.winnow.core.run;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.export.EmbeddingExport;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.core.data.GroupingOptions;
import dev.winnow.core.infer.EncoderScorer;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.TrainLoop;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code task: embedding}: a bi-encoder that pools each text into a vector, trained with an embedding loss on a
 * query, its positive and negatives (or on labelled pairs), evaluated by retrieval and exported with
 * sentence-transformers' pooling and prompt files.
 */
final class EmbeddingRun {
    private final LoadedRecipe loaded;
    private final ComponentRegistry registry;
    private final PrintStream out;
    private final String version;

    EmbeddingRun(LoadedRecipe loaded, ComponentRegistry registry, PrintStream out, String version) {
        this.loaded = loaded;
        this.registry = registry;
        this.out = out;
        this.version = version;
    }

    RecipeRunner.RunSummary run() {
        // setup: data, embedding template, loss, model
        try (RunSetup setup = RunSetup.prepare(loaded, registry, out, version);
                NDManager manager = NDManager.newBaseManager(setup.device)) {
            EmbeddingTemplate template = (EmbeddingTemplate) setup.create(setup.template);
            EmbeddingLoss loss = (EmbeddingLoss) setup.create(setup.recipe.loss());
            TextModel model = setup.loadModel(setup.modelOptions(), manager);
            EncoderScorer scorer = new EncoderScorer(model, template, setup.recipe.eval().batchSize(), manager);

            // evaluate before
            RunSetup.Evaluations before = setup.evaluateBefore(scorer);

            // train: pair losses read one labelled (query, document) per row, so every candidate is a row of its own
            GroupingOptions grouping = setup.recipe.data().grouping();
            if (loss.labelledPairs() && !grouping.pointwise()) {
                out.println("loss " + setup.recipe.loss().id() + " trains on labelled pairs: every (query, document, label) is one row"
                        + " (data.group_size " + grouping.groupSize() + " does not apply)");
                grouping = new GroupingOptions(1, grouping.positivesPerQuery(), grouping.shortfall());
            }
            RunSetup.Trainable trainable = setup.trainable(model.model(), manager);
            EmbeddingStep step = new EmbeddingStep(setup.replicate(model, setup.modelOptions(), trainable), template, loss, setup.truncation);
            TrainLoop.Result result = setup.train(trainable, grouping, step::loss, scorer, before);
            if (result.interrupted()) {
                return setup.interrupted(before, result);
            }

            // evaluate after, on the best checkpoint
            RunSetup.Evaluations after = setup.evaluateAfter(result, trainable, manager, scorer, before);

            // export, with the pooling and prompts sentence-transformers reads
            EmbeddingExport facts = setup.embeddingExport(model.model(), template, model.maxLength());
            Path export = setup.export(model.model(), trainable, after, facts);
            return setup.finish(before, after, result, export);
        }
    }
}
