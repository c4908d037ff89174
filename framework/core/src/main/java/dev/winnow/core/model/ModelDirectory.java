package dev.winnow.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.core.hub.HubSettings;
import dev.winnow.core.hub.ModelLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A model directory in Hugging Face layout, located from a recipe's {@code model.source} (a local directory or a
 * Hub id resolved through the Hugging Face cache), with its parsed {@code config.json}.
 */
public record ModelDirectory(Path path, Map<String, Object> config) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Resolves {@code source} (local dir, Hub id, or {@code maven:} ONNX jar) and reads its {@code config.json}. */
    public static ModelDirectory locate(String source, String revision) {
        Path dir = MavenModelSource.matches(source) ? MavenModelSource.resolve(source)
                : ModelLocator.resolve(source, revision, HubSettings.fromEnvironment(System.getenv()));
        return of(dir);
    }

    /** Reads {@code config.json} of a local directory. */
    public static ModelDirectory of(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new UserException(dir + " is not a model directory: it has no config.json (expected a Hugging Face "
                    + "layout: config.json, *.safetensors, tokenizer.json)");
        }
        try {
            Map<String, Object> config = JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() {});
            return new ModelDirectory(dir, config);
        } catch (JsonProcessingException e) {
            throw new UserException(file + ":" + e.getLocation().getLineNr() + ": malformed JSON: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** {@code model_type} from config.json. */
    public Optional<String> modelType() {
        Object t = config.get("model_type");
        return t instanceof String s ? Optional.of(s) : Optional.empty();
    }
}
