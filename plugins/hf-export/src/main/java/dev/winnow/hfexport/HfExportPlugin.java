package dev.winnow.hfexport;

import dev.winnow.api.Registrar;
import dev.winnow.api.WinnowPlugin;

/** Registers the {@code hf} exporter. */
public final class HfExportPlugin implements WinnowPlugin {
    @Override
    public String name() {
        return "hf-export";
    }

    @Override
    public void register(Registrar registrar) {
        registrar.exporter("hf", HfExportConfig.class, (config, context) -> new HfExporter(config));
    }
}
