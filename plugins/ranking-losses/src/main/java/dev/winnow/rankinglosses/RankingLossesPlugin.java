package dev.winnow.rankinglosses;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/**
 * Registers {@code pointwise_bce}, {@code listwise_ce}, {@code lambda_loss}, {@code ranknet}, {@code listnet},
 * {@code listmle}, {@code plistmle}, {@code mnrl}, {@code cached_mnrl}, {@code mse}, {@code margin_mse} and
 * {@code distill_ce}.
 */
public final class RankingLossesPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "ranking-losses";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.loss("pointwise_bce", PointwiseBce.Config.class, PointwiseBce.class,
                (config, context) -> new PointwiseBce(config.posWeight()));
        registrar.loss("listwise_ce", ListwiseCe.Config.class, ListwiseCe.class,
                (config, context) -> new ListwiseCe(config.temperature(), config.minGroupSize()));
        registrar.loss("ranknet", RankNet.Config.class, RankNet.class,
                (config, context) -> RankNet.of(config));
        registrar.loss("lambda_loss", LambdaLoss.Config.class, LambdaLoss.class, (config, context) -> LambdaLoss.of(config));
        registrar.loss("listnet", ListNet.Config.class, ListNet.class, (config, context) -> new ListNet());
        registrar.loss("listmle", PListMle.ListMleConfig.class, PListMle.class,
                (config, context) -> new PListMle(false, config.respectInputOrder()));
        registrar.loss("plistmle", PListMle.PListMleConfig.class, PListMle.class,
                (config, context) -> new PListMle(true, config.respectInputOrder()));
        registrar.loss("mnrl", Mnrl.Config.class, Mnrl.class, (config, context) -> Mnrl.of(config));
        registrar.loss("cached_mnrl", CachedMnrl.Config.class, CachedMnrl.class, (config, context) -> CachedMnrl.of(config));
        registrar.loss("mse", TeacherMse.Config.class, TeacherMse.class, (config, context) -> new TeacherMse());
        registrar.loss("margin_mse", MarginMse.Config.class, MarginMse.class, (config, context) -> new MarginMse());
        registrar.loss("distill_ce", DistillCe.Config.class, DistillCe.class, (config, context) -> DistillCe.of(config));
    }
}
