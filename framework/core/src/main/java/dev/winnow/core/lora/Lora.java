package dev.winnow.core.lora;

import dev.winnow.nn.LoraTarget;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.UserException;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.Linears;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * LoRA adapters on a model's linear layers, as PEFT builds them: {@code A} drawn like {@code kaiming_uniform(a=sqrt(5))}
 * (uniform in {@code ±1/sqrt(in)}), {@code B} zero (so the adapted model starts equal to the base), scale
 * {@code alpha / rank}, dropout on the adapter's input. The base weights are frozen; the task head (a
 * classifier) stays fully trainable, as PEFT's {@code modules_to_save}. {@link #save} writes PEFT's adapter layout;
 * {@link #load} reads one back (Winnow's or PEFT's) and attaches it unmerged.
 */
public final class Lora {
    /** Adapter options; {@code targets} holds {@code all-linear} or leaf module names such as {@code q_proj}. */
    public record Config(int rank, double alpha, double dropout, List<String> targets, long seed) {}

    /** PEFT's adapter files, in an adapter directory. */
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private final WinnowModel model;
    private final LoraTarget target;
    private final Config config;
    private final ParameterSet training = new ParameterSet();
    private final Map<String, Linears.Adapter> attached = new LinkedHashMap<>();
    /** Module name in the model's parameter names (a task model may prefix the encoder, e.g. bert.). */
    private final Map<String, String> exported = new LinkedHashMap<>();

    private Lora(WinnowModel model, LoraTarget target, Config config) {
        this.model = model;
        this.target = target;
        this.config = config;
    }

    /** Attaches adapters to every targeted module; the returned object's {@link #parameters()} is what trains. */
    public static Lora apply(WinnowModel model, Config config, NDManager manager) {
        if (!(model instanceof LoraTarget target)) {
            throw new UserException("train.type: lora is not available for the " + model.architecture() + " architecture");
        }
        Lora lora = new Lora(model, target, config);
        Set<String> heads = new LinkedHashSet<>(target.headModules());
        List<String> modules = lora.targets(heads);
        Random random = new Random(config.seed());
        for (String module : modules) {
            NDArray w = target.linears().weight(module);
            long out = w.getShape().get(0);
            long in = w.getShape().get(1);
            float bound = (float) (1 / Math.sqrt(in));
            float[] a = new float[Math.toIntExact(config.rank() * in)];
            for (int i = 0; i < a.length; i++) {
                a[i] = (random.nextFloat() * 2 - 1) * bound;
            }
            NDArray aArray = manager.create(a, new Shape(config.rank(), in));
            NDArray bArray = manager.zeros(new Shape(out, config.rank()));
            Linears.Adapter adapter = new Linears.Adapter(aArray, bArray, config.alpha() / config.rank(), config.dropout());
            target.linears().attach(module, adapter);
            lora.attached.put(module, adapter);
            lora.exported.put(module, parameterModule(model, module));
        }
        lora.collectTrainingParameters(heads);
        return lora;
    }

    /** Frozen base, trainable head (modules_to_save) and trainable adapters under their PEFT names. */
    private void collectTrainingParameters(Set<String> heads) {
        for (Parameter p : model.parameters().all()) {
            String module = p.name().replaceFirst("\\.(weight|bias)$", "");
            boolean head = heads.stream().anyMatch(module::endsWith);
            training.add(p.withTrainable(head));
        }
        for (var e : attached.entrySet()) {
            String name = exported.get(e.getKey());
            training.add(new Parameter(peftName(name, "lora_A"), e.getValue().a(), true));
            training.add(new Parameter(peftName(name, "lora_B"), e.getValue().b(), true));
        }
    }

    /**
     * A linear module's name as it appears in the model's parameter names, which PEFT's tensor names use: a task
     * model may prefix the encoder ({@code encoder.layer.0...} is {@code bert.encoder.layer.0...}).
     */
    private static String parameterModule(WinnowModel model, String module) {
        String full = module;
        for (Parameter p : model.parameters().all()) {
            if (p.name().endsWith("." + module + ".weight")) {
                full = p.name().substring(0, p.name().length() - ".weight".length());
            }
        }
        return full;
    }

    /**
     * Reads a PEFT LoRA adapter directory ({@value #CONFIG_FILE}, {@value #WEIGHTS_FILE}) and attaches its adapters,
     * unmerged, to {@code model}'s linear layers; head tensors (PEFT's modules_to_save) replace the model's head
     * weights. Every tensor must belong to an adapted layer or the head, every targeted layer must have both its A and
     * B, and every shape must fit the layer and the rank; a mistake names the file and the tensor.
     */
    public static Lora load(WinnowModel model, Path dir, NDManager manager) {
        AdapterConfig c = AdapterConfig.read(dir);
        if (!(model instanceof LoraTarget target)) {
            throw new UserException(dir + ": a LoRA adapter cannot be applied to the " + model.architecture()
                    + " architecture (its linear layers take no adapters)");
        }
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new UserException(dir + " has " + CONFIG_FILE + " but no " + WEIGHTS_FILE
                    + (Files.isRegularFile(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin, a pickle, is not read: save the "
                    + "adapter with safe_serialization=True)" : ""));
        }
        Lora lora = new Lora(model, target, new Config(c.rank(), c.alpha(), c.dropout(), c.targets(), 0));
        Set<String> heads = new LinkedHashSet<>(target.headModules());
        // PEFT module name (the model's parameter names) -> the model's linear module
        Map<String, String> linears = new LinkedHashMap<>();
        for (String m : target.linearModules()) {
            if (!heads.contains(m)) {
                linears.put(parameterModule(model, m), m);
            }
        }
        Map<String, Parameter> headTensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters().all()) {
            String module = p.name().replaceFirst("\\.(weight|bias)$", "");
            if (heads.stream().anyMatch(module::endsWith)) {
                headTensors.put("base_model.model." + p.name(), p);
            }
        }
        Map<String, NDArray> as = new LinkedHashMap<>();
        Map<String, NDArray> bs = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        List<String> misshaped = new ArrayList<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                Parameter head = headTensors.get(name);
                if (head != null) {
                    NDArray values = reader.load(name, manager);
                    if (!values.getShape().equals(head.array().getShape())) {
                        misshaped.add(name + " is " + values.getShape() + ", the model's " + head.name() + " is " + head.array().getShape());
                    } else {
                        NDArray cast = values.toType(head.array().getDataType(), false);
                        if (cast.getDataType() == ai.djl.ndarray.types.DataType.FLOAT64) {
                            head.array().set(cast.toDoubleArray());
                        } else {
                            head.array().set(cast.toFloatArray());
                        }
                        cast.close();
                    }
                    values.close();
                    continue;
                }
                String which = name.endsWith(".lora_A.weight") ? "A" : name.endsWith(".lora_B.weight") ? "B" : null;
                String module = which == null || !name.startsWith("base_model.model.") ? null
                        : name.substring("base_model.model.".length(), name.length() - ".lora_A.weight".length());
                if (module == null || !linears.containsKey(module)) {
                    unknown.add(name);
                    continue;
                }
                NDArray w = target.linears().weight(linears.get(module));
                int rank = c.rank();
                Shape expected = which.equals("A") ? new Shape(rank, w.getShape().get(1)) : new Shape(w.getShape().get(0), rank);
                var info = reader.info(name).orElseThrow();
                Shape actual = new Shape(info.shape());
                if (!actual.equals(expected)) {
                    misshaped.add(name + " is " + actual + ", expected " + expected + " (" + (which.equals("A") ? "[r, in]" : "[out, r]")
                            + " with r = " + rank + " from " + CONFIG_FILE + ")");
                    continue;
                }
                NDArray array = reader.load(name, manager);
                if (array.getDataType() != w.getDataType()) {
                    NDArray cast = array.toType(w.getDataType(), false);
                    array.close();
                    array = cast;
                }
                (which.equals("A") ? as : bs).put(module, array);
            }
        }
        if (!unknown.isEmpty()) {
            List<String> some = new ArrayList<>(linears.keySet()).subList(0, Math.min(3, linears.size()));
            throw new UserException(file + ": " + unknown.size() + " tensor(s) match no linear layer or head of the " + model.architecture()
                    + " model: " + abbreviate(unknown) + "; expected base_model.model.<module>.lora_A.weight / lora_B.weight with <module> "
                    + "such as " + String.join(", ", some) + (headTensors.isEmpty() ? "" : ", or head tensors "
                    + abbreviate(new ArrayList<>(headTensors.keySet()))));
        }
        if (!misshaped.isEmpty()) {
            throw new UserException(file + ": tensor(s) with the wrong shape: " + String.join("; ", misshaped));
        }
        List<String> missing = new ArrayList<>();
        Set<String> adapted = new TreeSet<>(as.keySet());
        adapted.addAll(bs.keySet());
        if (c.coversAllTargets()) {
            for (var e : linears.entrySet()) {
                if (c.targets(e.getKey())) {
                    adapted.add(e.getKey());
                }
            }
        }
        for (String module : adapted) {
            if (!as.containsKey(module)) {
                missing.add(peftName(module, "lora_A"));
            }
            if (!bs.containsKey(module)) {
                missing.add(peftName(module, "lora_B"));
            }
        }
        if (!missing.isEmpty()) {
            throw new UserException(file + ": lacks " + missing.size() + " tensor(s) for the layers that target_modules "
                    + c.describeTargets() + " in " + CONFIG_FILE + " selects: " + abbreviate(missing));
        }
        if (adapted.isEmpty()) {
            throw new UserException(file + ": holds no LoRA tensors (base_model.model.<module>.lora_A.weight / lora_B.weight)");
        }
        for (String module : adapted) {
            String linear = linears.get(module);
            Linears.Adapter adapter = new Linears.Adapter(as.get(module), bs.get(module), c.scale(), c.dropout());
            target.linears().attach(linear, adapter);
            lora.attached.put(linear, adapter);
            lora.exported.put(linear, module);
        }
        lora.collectTrainingParameters(heads);
        return lora;
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 6 ? String.join(", ", names) : String.join(", ", names.subList(0, 6)) + ", ... (" + names.size() + " in all)";
    }

    private List<String> targets(Set<String> heads) {
        List<String> all = target.linearModules().stream().filter(m -> !heads.contains(m)).toList();
        if (config.targets().isEmpty() || config.targets().contains("all-linear")) {
            return all;
        }
        List<String> out = new ArrayList<>();
        Set<String> unmatched = new TreeSet<>(config.targets());
        for (String m : all) {
            String leaf = m.substring(m.lastIndexOf('.') + 1);
            for (String t : config.targets()) {
                if (leaf.equals(t) || m.endsWith("." + t) || m.equals(t)) {
                    out.add(m);
                    unmatched.remove(t);
                }
            }
        }
        if (!unmatched.isEmpty()) {
            Set<String> leaves = new TreeSet<>();
            all.forEach(m -> leaves.add(m.substring(m.lastIndexOf('.') + 1)));
            throw new UserException("train.target_modules " + unmatched + " match no linear layer of the " + model.architecture()
                    + " model; its layers: all-linear, " + String.join(", ", leaves));
        }
        return out;
    }

    /** PEFT's state-dict name of an adapter tensor. */
    static String peftName(String module, String which) {
        return "base_model.model." + module + "." + which + ".weight";
    }

    /** Frozen base weights, trainable head, trainable adapters (PEFT names): what the training loop sees. */
    public ParameterSet parameters() {
        return training;
    }

    public Map<String, Linears.Adapter> adapters() {
        return java.util.Collections.unmodifiableMap(attached);
    }

    /**
     * Writes {@code adapter_model.safetensors} and {@code adapter_config.json} in PEFT's layout (plus the trained
     * head, as PEFT's modules_to_save would) into {@code dir}.
     */
    public void save(Path dir, String baseModel) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        attached.forEach((module, a) -> {
            tensors.put(peftName(exported.get(module), "lora_A"), a.a());
            tensors.put(peftName(exported.get(module), "lora_B"), a.b());
        });
        for (Parameter p : model.parameters().all()) {
            String module = p.name().replaceFirst("\\.(weight|bias)$", "");
            if (target.headModules().stream().anyMatch(module::endsWith)) {
                tensors.put("base_model.model." + p.name(), p.array());
            }
        }
        Set<String> leaves = new TreeSet<>();
        attached.keySet().forEach(m -> leaves.add(m.substring(m.lastIndexOf('.') + 1)));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("peft_type", "LORA");
        // a layerwise reranker is a causal LM class with score heads (FlagEmbedding's PEFT task type CAUSAL_LM)
        boolean sequenceClassifier = model.task() == Task.RERANKER && !(model instanceof dev.winnow.api.model.LayerwiseModel);
        c.put("task_type", sequenceClassifier ? "SEQ_CLS" : model.task() == Task.EMBEDDING ? "FEATURE_EXTRACTION" : "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", config.rank());
        c.put("lora_alpha", config.alpha());
        c.put("lora_dropout", config.dropout());
        c.put("target_modules", new ArrayList<>(leaves));
        c.put("modules_to_save", target.headModules().isEmpty() ? null : target.headModules());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        try {
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
            Path tmp = dir.resolve("adapter_config.json.tmp");
            Files.writeString(tmp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(c) + "\n");
            Files.move(tmp, dir.resolve("adapter_config.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the adapter to " + dir, e);
        }
    }

    /** Folds the adapters into the base weights; afterwards the model is a plain model with the adapted weights. */
    public void merge() {
        target.linears().merge();
        attached.clear();
    }
}
