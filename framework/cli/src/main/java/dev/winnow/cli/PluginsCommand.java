package dev.winnow.cli;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.core.recipe.ConfigKeys;
import dev.winnow.core.recipe.RecipeReference;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code runner plugins}: every discovered component with its recipe keys, types and defaults. */
final class PluginsCommand implements Command {
    @Override
    public String name() {
        return "plugins";
    }

    @Override
    public String summary() {
        return "list every discovered component with its config keys, types and defaults";
    }

    @Override
    public String help() {
        return """
                runner plugins [--markdown]

                Lists the plugins found on the class path (built-in ones, jars in plugins.d/ and WINNOW_PLUGIN_PATH),
                then every component by kind: its id, where it comes from, and its recipe keys with type, default
                and meaning. --markdown prints the recipe reference as the README embeds it.""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of(), Set.of("markdown"));
        ComponentRegistry registry = ComponentRegistry.discover();
        if (args.flag("markdown")) {
            out.print(RecipeReference.markdown(registry));
            return Main.OK;
        }
        out.println("Plugins:");
        for (WinnowPlugin p : registry.plugins()) {
            out.println("  " + p.name() + "  (" + p.getClass().getName() + ")");
        }
        for (ComponentKind<?> kind : ComponentKind.all()) {
            List<? extends Registration<?, ?>> all = registry.all(kind);
            out.println();
            out.println(kind.section() + " — " + kind.description() + ":");
            if (all.isEmpty()) {
                out.println("  (none)");
            }
            for (Registration<?, ?> r : all) {
                ConfigKeys keys = ConfigKeys.of(r.configType());
                out.println("  " + r.id() + "  [" + r.pluginName() + "]" + (keys.typeDoc() == null ? "" : "  " + keys.typeDoc()));
                for (ConfigKeys.KeySpec k : keys.keys()) {
                    String def = k.defaultValue() != null ? "default " + k.defaultValue() : k.nullable() ? "optional" : "required";
                    out.println(String.format("      %-24s %-12s %-18s %s", k.key(), shortType(k), def, k.doc() == null ? "" : k.doc()));
                }
            }
        }
        return Main.OK;
    }

    private static String shortType(ConfigKeys.KeySpec k) {
        String t = k.genericType().getTypeName();
        t = t.replaceAll("[a-zA-Z0-9_.]+\\.", "").replace("java.lang.", "");
        return t.length() > 12 ? t.substring(0, 12) : t;
    }
}
