package dev.winnow.embeddinglosses;

import dev.winnow.api.NoConfig;
import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/**
 * Registers the embedding losses: {@code infonce}, {@code cached_infonce}, {@code cosine_similarity}, {@code contrastive},
 * {@code online_contrastive} and {@code matryoshka}. All take {@link dev.winnow.api.loss.EmbeddingBatch}es and
 * return a scalar; {@code matryoshka} builds its inner loss through that loss's own registered factory.
 */
public final class EmbeddingLossesPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "embedding-losses";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.loss("infonce", InfonceConfig.class, InfonceLoss.class,
                (config, context) -> new InfonceLoss(config, context.seed()));
        registrar.loss(CachedInfonceLoss.ID, CachedInfonceConfig.class, CachedInfonceLoss.class,
                (config, context) -> new CachedInfonceLoss(config, context.seed()));
        registrar.loss(CosineSimilarityLoss.ID, NoConfig.class, CosineSimilarityLoss.class,
                (config, context) -> new CosineSimilarityLoss());
        registrar.loss(ContrastiveLoss.ID, ContrastiveConfig.class, ContrastiveLoss.class,
                (config, context) -> new ContrastiveLoss(config));
        registrar.loss(OnlineContrastiveLoss.ID, ContrastiveConfig.class, OnlineContrastiveLoss.class,
                (config, context) -> new OnlineContrastiveLoss(config));
        registrar.loss(MatryoshkaLoss.ID, MatryoshkaConfig.class, MatryoshkaLoss.class, MatryoshkaLoss::create);
    }
}
