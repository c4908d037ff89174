package dev.winnow.formats;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers the built-in dataset formats. */
public final class FormatsPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "formats";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.format("mteb", MtebFormat.Config.class, (config, context) -> new MtebFormat(config));
        registrar.format("flagembedding", FlagEmbeddingFormat.Config.class,
                (config, context) -> new FlagEmbeddingFormat(config));
        registrar.format("swift", SwiftFormat.Config.class, (config, context) -> new SwiftFormat(config));
        registrar.format("swift_legacy", SwiftLegacyFormat.Config.class,
                (config, context) -> new SwiftLegacyFormat(config));
        registrar.format("pairs", PairsFormat.Config.class, (config, context) -> new PairsFormat(config));
        registrar.format("labelled_list", LabelledListFormat.Config.class,
                (config, context) -> new LabelledListFormat(config));
        registrar.format("fields", FieldsFormat.Config.class, (config, context) -> new FieldsFormat(config));
    }
}
