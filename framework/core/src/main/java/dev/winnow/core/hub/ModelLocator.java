package dev.winnow.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a recipe's model source into a local directory in Hugging Face layout (config.json, safetensors weights,
 * tokenizer files). A source is either an existing local directory, used as it is, or a Hub id such as
 * {@code BAAI/bge-reranker-v2-m3}, looked up in the standard Hugging Face cache and downloaded into it when absent
 * (unless offline). A resolved cached snapshot is used without any request.
 */
public final class ModelLocator {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLocator.class);
    /** The default revision, as on the Hub. */
    public static final String DEFAULT_REVISION = "main";
    private static final Pattern HUB_ID =
            Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelLocator() {}

    /** {@link #resolve(String, String, HubSettings)} at the {@code main} revision. */
    public static Path resolve(String source, HubSettings settings) {
        return resolve(source, DEFAULT_REVISION, settings);
    }

    /**
     * The local directory holding model {@code source} at {@code revision} (a branch, tag or commit; ignored for a
     * local directory). Downloads only the files a model needs: config, safetensors weights and index, tokenizer
     * and sentence-transformers module files; never pickled, ONNX, TF or Flax weights.
     */
    public static Path resolve(String source, String revision, HubSettings settings) {
        Path local = localPath(source);
        if (local != null && Files.isDirectory(local)) {
            if (!Files.isRegularFile(local.resolve("config.json"))) {
                throw new UserException("model directory " + local + " has no config.json; a model directory in "
                        + "Hugging Face layout holds config.json, *.safetensors weights, tokenizer.json, "
                        + "tokenizer_config.json and special_tokens_map.json (or, for a PEFT adapter directory, "
                        + "adapter_config.json and adapter_model.safetensors)");
            }
            return local;
        }
        if (local != null && Files.exists(local)) {
            throw new UserException("model source " + local + " is a file; expected a model directory in Hugging "
                    + "Face layout or a Hub id such as BAAI/bge-reranker-v2-m3");
        }
        if (looksLikePath(source)) {
            throw new UserException("model directory " + (local != null ? local : source) + " does not exist");
        }
        if (!HUB_ID.matcher(source).matches() || source.contains("--")
                || source.contains("..")) {
            throw new UserException("model source '" + source + "' is neither an existing directory nor a Hugging "
                    + "Face Hub id such as BAAI/bge-reranker-v2-m3");
        }
        if (revision.isBlank() || revision.contains("..")) {
            throw new UserException("model revision '" + revision + "' is not valid; use a branch, tag or commit");
        }
        Path repoDir = settings.cacheDir().resolve(repoFolderName(source));
        String commit = COMMIT.matcher(revision).matches() ? revision : readRef(repoDir, revision);
        if (commit != null) {
            Path snapshot = repoDir.resolve("snapshots").resolve(commit);
            if (isComplete(snapshot)) {
                LOG.debug("model {}@{} found in the cache at {}", source, revision, snapshot);
                return snapshot;
            }
            if (settings.offline() && Files.isDirectory(snapshot)) {
                LOG.warn("model {}@{} is only partly in the cache at {} and HF_HUB_OFFLINE is set; using what is "
                        + "there", source, revision, snapshot);
                return snapshot;
            }
        }
        if (settings.offline()) {
            throw new UserException("model '" + source + "' (revision " + revision + ") is not in the Hugging Face "
                    + "cache at " + settings.cacheDir() + ", and HF_HUB_OFFLINE is set, so Winnow will not download "
                    + "it. Download it first where the Hub is reachable, into the same cache (same HF_HOME or "
                    + "HF_HUB_CACHE): run Winnow once without HF_HUB_OFFLINE, or `hf download " + source
                    + "`; or point the recipe at a local model directory.");
        }
        return new HubDownloader(settings).download(source, revision, repoDir);
    }

    /** The cache folder of a model repo: {@code models--org--name}. */
    static String repoFolderName(String id) {
        return "models--" + id.replace("/", "--");
    }

    /**
     * Whether a snapshot can be used without asking the Hub: it has config.json and all its weights. Weights are
     * downloaded last, so their presence means the other files finished before them.
     */
    static boolean isComplete(Path snapshot) {
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) {
            return false;
        }
        Path index = snapshot.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
                for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
                    if (!Files.isRegularFile(snapshot.resolve(it.next().asText()))) {
                        return false;
                    }
                }
                return map.size() > 0;
            } catch (IOException e) {
                return false;
            }
        }
        try (Stream<Path> files = Files.list(snapshot)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p));
        } catch (IOException e) {
            return false;
        }
    }

    static @Nullable String readRef(Path repoDir, String revision) {
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return null;
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            return COMMIT.matcher(commit).matches() ? commit : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    private static @Nullable Path localPath(String source) {
        String expanded = source.equals("~") || source.startsWith("~/")
                ? System.getProperty("user.home") + source.substring(1) : source;
        try {
            return Path.of(expanded).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static boolean looksLikePath(String source) {
        return source.startsWith("/") || source.startsWith("./") || source.startsWith("../") || source.startsWith("~")
                || source.contains("\\") || source.equals(".") || source.equals("..");
    }
}
