package dev.winnow.rankinglosses;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers {@code pointwise_bce}, {@code listwise_ce}, {@code ranknet}, {@code listnet}, {@code mse} and {@code margin_mse}. */
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
                (config, context) -> new RankNet(config.sigma(), config.eps()));
        registrar.loss("listnet", ListNet.Config.class, ListNet.class, (config, context) -> new ListNet());
        registrar.loss("mse", TeacherMse.Config.class, TeacherMse.class, (config, context) -> new TeacherMse());
        registrar.loss("margin_mse", MarginMse.Config.class, MarginMse.class, (config, context) -> new MarginMse());
    }
}
