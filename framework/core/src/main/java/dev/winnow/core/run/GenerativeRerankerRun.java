package dev.winnow.core.run;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.text.AnswerTokens;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.core.infer.PairScorer;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.recipe.LoadedRecipe;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.train.TrainLoop;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code task: generative_reranker}: a causal LM that scores a (query, document) prompt as
 * {@code logit(positive token) - logit(negative token)} at its last position (Qwen3-Reranker's yes/no), trained with
 * a ranking loss over groups of candidates and exported as the causal LM it is.
 */
final class GenerativeRerankerRun {
    private final LoadedRecipe loaded;
    private final ComponentRegistry registry;
    private final PrintStream out;
    private final String version;

    GenerativeRerankerRun(LoadedRecipe loaded, ComponentRegistry registry, PrintStream out, String version) {
        this.loaded = loaded;
        this.registry = registry;
        this.out = out;
        this.version = version;
    }

    RecipeRunner.RunSummary run() {
        // setup: data, the yes/no template and its answer tokens, loss, model
        try (RunSetup setup = RunSetup.prepare(loaded, registry, out, version);
                NDManager manager = NDManager.newBaseManager(setup.device)) {
            PromptTemplate template = setup.create(setup.template);
            if (!(template instanceof AnswerTokens answers)) {
                throw new UserException(loaded.position("template") + ": template '" + setup.template.id()
                        + "' has no answer tokens; a generative reranker needs a yes/no template such as qwen3-reranker");
            }
            RankingLoss loss = (RankingLoss) setup.create(setup.recipe.loss());
            ModelOptions options = setup.modelOptions().withAnswerTokens(setup.tokenizer.answerTokenIds(answers));
            TextModel model = setup.loadModel(options, manager);
            PairScorer scorer = new PairScorer(model, template, setup.recipe.eval().batchSize(), manager);

            // evaluate before
            RunSetup.Evaluations before = setup.evaluateBefore(scorer);

            // train
            RunSetup.Trainable trainable = setup.trainable(model.model(), manager);
            RerankerStep step = new RerankerStep(setup.replicate(model, options, trainable), template, loss, setup.recipe.loss().id(), setup.truncation);
            TrainLoop.Result result = setup.train(trainable, setup.recipe.data().grouping(), step::loss, scorer, before);
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
