package dev.winnow.api;

import com.google.inject.Module;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.eval.Evaluator;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelImporter;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.PromptTemplate;

/**
 * Where a plugin contributes components. Each component has a short id that is unique across all plugins (a
 * second provider of the same id is a start-up error naming both jars), a config record whose components are
 * the recipe keys the component accepts, and a factory.
 */
public interface Registrar {
    /**
     * Registers a component of any kind.
     *
     * @param produces the concrete component class the factory returns (used to check, before anything is
     *     built, that a component fits where the recipe puts it, for example a ranking loss on a reranker)
     */
    <C extends Record, T> void add(
            ComponentKind<T> kind,
            String id,
            Class<C> configType,
            Class<? extends T> produces,
            ComponentFactory<C, ? extends T> factory);

    /** Adds bindings to the run's Guice injector, for components that inject services of their own. */
    void install(Module module);

    /**
     * Registers an architecture. Its config record is its {@link ModelArchitecture#optionsType()}: the keys of a
     * recipe's {@code model.options}, listed by {@code runner plugins} like every component's keys.
     */
    default void model(String id, ModelArchitecture architecture) {
        addModel(id, architecture.optionsType(), architecture);
    }

    private <C extends Record> void addModel(String id, Class<C> options, ModelArchitecture architecture) {
        add(ComponentKind.MODEL, id, options, architecture.getClass(), (c, ctx) -> architecture);
    }

    default <C extends Record, T extends Loss> void loss(
            String id, Class<C> configType, Class<T> produces, ComponentFactory<C, T> factory) {
        add(ComponentKind.LOSS, id, configType, produces, factory);
    }

    default <C extends Record> void format(
            String id, Class<C> configType, ComponentFactory<C, ? extends DatasetFormat> factory) {
        add(ComponentKind.FORMAT, id, configType, DatasetFormat.class, factory);
    }

    default <C extends Record> void template(
            String id, Class<C> configType, ComponentFactory<C, ? extends PromptTemplate> factory) {
        add(ComponentKind.TEMPLATE, id, configType, PromptTemplate.class, factory);
    }

    /** A template for {@code task: embedding}: single queries and documents rather than pairs. */
    default <C extends Record> void embeddingTemplate(
            String id, Class<C> configType, ComponentFactory<C, ? extends EmbeddingTemplate> factory) {
        add(ComponentKind.TEMPLATE, id, configType, EmbeddingTemplate.class, factory);
    }

    default <C extends Record> void evaluator(
            String id, Class<C> configType, ComponentFactory<C, ? extends Evaluator> factory) {
        add(ComponentKind.EVALUATOR, id, configType, Evaluator.class, factory);
    }

    default <C extends Record> void exporter(
            String id, Class<C> configType, ComponentFactory<C, ? extends Exporter> factory) {
        add(ComponentKind.EXPORTER, id, configType, Exporter.class, factory);
    }

    /** Registers an importer of weights stored in another format; it takes no recipe keys. */
    default void importer(String id, ModelImporter importer) {
        add(ComponentKind.IMPORTER, id, NoConfig.class, importer.getClass(), (c, ctx) -> importer);
    }
}
