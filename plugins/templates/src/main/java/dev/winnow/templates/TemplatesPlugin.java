package dev.winnow.templates;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers the reranker templates {@code pair} and {@code qwen3-reranker} and the embedding templates
 * {@code text} and {@code qwen3-embedding}. */
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
        registrar.embeddingTemplate("text", TextEmbeddingTemplate.Config.class, (config, context) -> new TextEmbeddingTemplate(config));
        registrar.embeddingTemplate("qwen3-embedding", Qwen3EmbeddingTemplate.Config.class,
                (config, context) -> new Qwen3EmbeddingTemplate(config));
    }
}
