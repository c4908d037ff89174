package dev.winnow.rankingeval;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers the {@code reranking} evaluator. */
public final class RankingEvalPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "ranking-eval";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.evaluator("reranking", RerankingEvaluator.Config.class, (config, context) -> new RerankingEvaluator(config));
    }
}
