package dev.winnow.templates;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers the {@code pair} and {@code qwen3-reranker} templates. */
public final class TemplatesPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "templates";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.template("pair", PairTemplate.Config.class, (config, context) -> new PairTemplate(config.truncation()));
        registrar.template("qwen3-reranker", Qwen3RerankerTemplate.Config.class,
                (config, context) -> new Qwen3RerankerTemplate(config));
    }
}
