package dev.winnow.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.UserException;
import dev.winnow.core.hub.HubSettings;
import dev.winnow.core.hub.ModelLocator;
import dev.winnow.core.lora.AdapterConfig;
import dev.winnow.core.lora.Lora;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A model directory in Hugging Face layout, located from a recipe's {@code model.source} (a local directory or a
 * Hub id resolved through the Hugging Face cache), with its parsed {@code config.json}, and the LoRA adapter to
 * apply unmerged on top of its weights, if any.
 *
 * <p>An adapter comes from one of two places:
 * <ul>
 *   <li>a Winnow export whose {@value #EXPORT_INFO} says {@code "lora": {"adapter": "adapter", "merged": false}}
 *       (written by a {@code train.type: lora} run with {@code export.merge_lora: false}: its weights are the base
 *       weights, the trained adapter lives in {@code adapter/}). With {@code "merged": true}, or without the file,
 *       the weights are used as they are and {@code adapter/} is only a copy for PEFT;</li>
 *   <li>a bare PEFT adapter directory as the source ({@code adapter_config.json} and
 *       {@code adapter_model.safetensors}, no {@code config.json}): its {@code base_model_name_or_path} (a local
 *       directory or a Hub id, at the adapter config's {@code revision}) is the model directory.</li>
 * </ul>
 *
 * @param adapter a PEFT adapter directory to apply unmerged when the model loads; null for none
 */
public record ModelDirectory(Path path, Map<String, Object> config, @Nullable Path adapter) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a Winnow export says about itself (today: whether its weights hold its LoRA adapter). */
    public static final String EXPORT_INFO = "winnow_export.json";

    /** A model directory without an adapter. */
    public ModelDirectory(Path path, Map<String, Object> config) {
        this(path, config, null);
    }

    /**
     * Resolves {@code source} (local dir, PEFT adapter dir, Hub id, or {@code maven:} ONNX jar) and reads its
     * {@code config.json}.
     */
    public static ModelDirectory locate(String source, String revision) {
        if (MavenModelSource.matches(source)) {
            return of(MavenModelSource.resolve(source));
        }
        Path local = localAdapter(source);
        if (local != null) {
            return ofAdapter(local);
        }
        return of(ModelLocator.resolve(source, revision, HubSettings.fromEnvironment(System.getenv())));
    }

    /** Reads {@code config.json} of a local directory (or, for a PEFT adapter directory, of its base model). */
    public static ModelDirectory of(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            if (Files.isRegularFile(dir.resolve(Lora.CONFIG_FILE))) {
                return ofAdapter(dir);
            }
            throw new UserException(dir + " is not a model directory: it has no config.json (expected a Hugging Face "
                    + "layout: config.json, *.safetensors, tokenizer.json; or a PEFT adapter directory with " + Lora.CONFIG_FILE + ")");
        }
        return new ModelDirectory(dir, readJson(file), unmergedAdapter(dir));
    }

    /** {@code model_type} from config.json. */
    public Optional<String> modelType() {
        Object t = config.get("model_type");
        return t instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** Where the tokenizer comes from: a bare adapter directory's own tokenizer when it has one, else the model's. */
    public Path tokenizerDir() {
        return adapter != null && Files.isRegularFile(adapter.resolve("tokenizer.json")) ? adapter : path;
    }

    /**
     * Writes {@value #EXPORT_INFO} into an export directory: its LoRA adapter lives in {@code adapterDir} (relative
     * to the export) and is, or is not, already folded into the exported weights.
     */
    public static void writeExportInfo(Path exportDir, String adapterDir, boolean merged) {
        Map<String, Object> lora = new LinkedHashMap<>();
        lora.put("adapter", adapterDir);
        lora.put("merged", merged);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("lora", lora);
        try {
            Path tmp = exportDir.resolve(EXPORT_INFO + ".tmp");
            Files.writeString(tmp, JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info) + "\n");
            Files.move(tmp, exportDir.resolve(EXPORT_INFO), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + exportDir.resolve(EXPORT_INFO), e);
        }
    }

    /** The adapter an export's {@value #EXPORT_INFO} says is not merged into its weights; null when there is none. */
    private static @Nullable Path unmergedAdapter(Path dir) {
        Path file = dir.resolve(EXPORT_INFO);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Object lora = readJson(file).get("lora");
        if (lora == null) {
            return null;
        }
        if (!(lora instanceof Map<?, ?> m) || !(m.get("merged") instanceof Boolean merged) || !(m.get("adapter") instanceof String sub)) {
            throw new UserException(file + ": 'lora' must be {\"adapter\": \"<directory>\", \"merged\": true|false}, found " + lora);
        }
        if (merged) {
            return null;
        }
        Path adapter = dir.resolve(sub).normalize();
        if (!Files.isRegularFile(adapter.resolve(Lora.CONFIG_FILE))) {
            throw new UserException(file + " says the weights do not hold the LoRA adapter (merged: false), but "
                    + adapter.resolve(Lora.CONFIG_FILE) + " does not exist; copy the whole export directory, adapter included");
        }
        return adapter;
    }

    /** A PEFT adapter directory as a source: its base model, with the adapter to apply. */
    private static ModelDirectory ofAdapter(Path adapterDir) {
        AdapterConfig c = AdapterConfig.read(adapterDir);
        Path file = adapterDir.resolve(Lora.CONFIG_FILE);
        if (c.baseModel() == null) {
            throw new UserException(file + " has no base_model_name_or_path: set it to the base model's directory or Hub id");
        }
        ModelDirectory base;
        try {
            base = locate(c.baseModel(), c.revision() != null ? c.revision() : ModelLocator.DEFAULT_REVISION);
        } catch (UserException e) {
            throw new UserException(file + ": base_model_name_or_path '" + c.baseModel() + "' cannot be loaded: " + e.getMessage());
        }
        if (base.adapter() != null) {
            throw new UserException(file + ": base_model_name_or_path '" + c.baseModel() + "' is itself a model with an unmerged "
                    + "LoRA adapter; stacking adapters is not supported (use a merged export as the base)");
        }
        return new ModelDirectory(base.path(), base.config(), adapterDir);
    }

    /** {@code source} when it is a local directory holding a PEFT adapter and no config.json. */
    private static @Nullable Path localAdapter(String source) {
        try {
            Path p = Path.of(source.startsWith("~/") ? System.getProperty("user.home") + source.substring(1) : source);
            return Files.isDirectory(p) && !Files.isRegularFile(p.resolve("config.json")) && Files.isRegularFile(p.resolve(Lora.CONFIG_FILE))
                    ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Map<String, Object> readJson(Path file) {
        try {
            return JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new UserException(file + ":" + (e.getLocation() == null ? 0 : e.getLocation().getLineNr()) + ": malformed JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
