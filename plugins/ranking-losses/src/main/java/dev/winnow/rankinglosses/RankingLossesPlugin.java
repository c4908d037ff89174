package dev.winnow.rankinglosses;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers {@code pointwise_bce} and {@code listwise_ce}. */
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
    }
}
