package dev.winnow.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.ComponentKind;
import dev.winnow.api.NoConfig;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.lora.Lora;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Registration;
import dev.winnow.nn.weights.SafetensorsReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds a {@link WinnowModel} from a model directory through the architecture plugins. */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);
    private final ComponentRegistry registry;

    public ModelLoader(ComponentRegistry registry) {
        this.registry = registry;
    }

    /**
     * The architecture for {@code type}: an architecture id ({@code bert}), or {@code auto} to match
     * {@code config.json}'s {@code model_type} against what each architecture reads.
     */
    public ModelArchitecture architecture(ModelDirectory dir, String type) {
        List<Registration<?, ModelArchitecture>> all = registry.all(ComponentKind.MODEL);
        if (!type.equals("auto")) {
            return registry.find(ComponentKind.MODEL, type)
                    .map(ModelLoader::instance)
                    .orElseThrow(() -> new UserException("model.type '" + type + "' is not a known architecture; "
                            + "available: auto, " + String.join(", ", all.stream().map(Registration::id).toList())));
        }
        String modelType = dir.modelType().orElseThrow(() -> new UserException(dir.path().resolve("config.json")
                + " has no model_type; set model.type to one of: "
                + String.join(", ", all.stream().map(Registration::id).toList())));
        TreeSet<String> known = new TreeSet<>();
        for (Registration<?, ModelArchitecture> r : all) {
            ModelArchitecture a = instance(r);
            if (a.modelTypes().contains(modelType)) {
                return a;
            }
            known.addAll(a.modelTypes());
        }
        throw new UserException(dir.path().resolve("config.json") + ": model_type '" + modelType
                + "' has no architecture plugin; supported model types: " + String.join(", ", known));
    }

    /**
     * Loads weights and builds the model on {@code device}; the model owns {@code manager}'s arrays. When the
     * directory carries an unmerged LoRA adapter ({@link ModelDirectory#adapter()}), it is applied, unmerged.
     */
    public WinnowModel load(ModelDirectory dir, String type, ModelOptions options, NDManager manager) {
        WinnowEngine.start();
        ModelArchitecture architecture = architecture(dir, type);
        if (!architecture.tasks().contains(options.task())) {
            List<String> tasks = new ArrayList<>();
            architecture.tasks().forEach(t -> tasks.add(t.id()));
            throw new UserException("task '" + options.task().id() + "' is not supported by the "
                    + dir.modelType().orElse(type) + " architecture; it supports: " + String.join(", ", tasks));
        }
        Map<String, NDArray> weights;
        try (SafetensorsReader reader = SafetensorsReader.open(dir.path())) {
            weights = reader.loadAll(manager);
        }
        WinnowModel model = architecture.create(dir.path(), dir.config(), weights, options, manager);
        if (dir.adapter() != null) {
            Lora lora = Lora.load(model, dir.adapter(), manager);
            LOG.info("{}: applied the LoRA adapter from {} unmerged ({} layers)", dir.path(), dir.adapter(), lora.adapters().size());
        }
        return model;
    }

    /** Convenience: a model on {@code device} with a fresh manager that the model's close releases. */
    public WinnowModel load(ModelDirectory dir, String type, ModelOptions options, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            WinnowModel model = load(dir, type, options, manager);
            return new ManagedModel(model, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Every registered architecture, in registration order. */
    public static List<ModelArchitecture> architectures(ComponentRegistry registry) {
        return registry.all(ComponentKind.MODEL).stream().map(ModelLoader::instance).toList();
    }

    /** The architecture object a model registration provides. */
    public static ModelArchitecture instance(Registration<?, ModelArchitecture> r) {
        @SuppressWarnings("unchecked")
        var factory = (dev.winnow.api.ComponentFactory<NoConfig, ? extends ModelArchitecture>) r.factory();
        return factory.create(new NoConfig(), StaticContext.INSTANCE);
    }
}
