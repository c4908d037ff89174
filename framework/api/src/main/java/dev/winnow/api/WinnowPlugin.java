package dev.winnow.api;

/**
 * The one entry point a plugin jar provides, listed in
 * {@code META-INF/services/dev.winnow.api.WinnowPlugin}. Built-in components use it exactly as third-party
 * jars do.
 *
 * <pre>{@code
 * public final class MyPlugin implements WinnowPlugin {
 *   public String name() { return "my-plugin"; }
 *   public void register(Registrar registrar) {
 *     registrar.rankingLoss("my_loss", MyLossConfig.class, (config, context) -> new MyLoss(config));
 *   }
 * }
 * }</pre>
 */
public interface WinnowPlugin {
    /** A short human name, shown by {@code runner plugins} and in duplicate-id errors. */
    String name();

    /** Contributes this plugin's components. Called once at start-up. */
    void register(Registrar registrar);
}
