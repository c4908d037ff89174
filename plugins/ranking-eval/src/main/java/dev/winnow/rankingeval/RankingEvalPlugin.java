package dev.winnow.rankingeval;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/**
 * Registers the evaluators: {@code reranking} (rank each query's candidates), {@code retrieval} (search the corpus
 * with an embedding model), {@code similarity} (mean positive/negative score) and {@code sts} (correlation with
 * labels).
 */
public final class RankingEvalPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "ranking-eval";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.evaluator("reranking", RerankingEvaluator.Config.class, (config, context) -> new RerankingEvaluator(config));
        registrar.evaluator("retrieval", RetrievalEvaluator.Config.class, (config, context) -> new RetrievalEvaluator(config));
        registrar.evaluator("similarity", SimilarityEvaluator.Config.class, (config, context) -> new SimilarityEvaluator());
        registrar.evaluator("sts", StsEvaluator.Config.class, (config, context) -> new StsEvaluator());
    }
}
