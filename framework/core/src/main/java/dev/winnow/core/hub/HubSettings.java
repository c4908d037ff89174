package dev.winnow.core.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where and how to reach the Hugging Face Hub, with the same environment variables and defaults as the
 * {@code huggingface_hub} Python library, so Winnow shares its cache with Python tools.
 *
 * @param endpoint the Hub's base URL ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
 * @param cacheDir the hub cache ({@code HF_HUB_CACHE}, default {@code $HF_HOME/hub})
 * @param token the access token for private or gated models ({@code HF_TOKEN}, else the {@code $HF_HOME/token} file)
 * @param offline never make requests ({@code HF_HUB_OFFLINE=1})
 */
public record HubSettings(URI endpoint, Path cacheDir, @Nullable String token, boolean offline) {
    private static final Logger LOG = LoggerFactory.getLogger(HubSettings.class);
    /** The public Hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    /** Settings from this process's environment. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Settings from {@code env} (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_TOKEN_PATH, HF_HUB_OFFLINE). */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, Path.of(System.getProperty("user.home")));
    }

    static HubSettings fromEnvironment(Map<String, String> env, Path userHome) {
        Path hfHome = expandUser(firstSet(env, "HF_HOME"), userHome);
        if (hfHome == null) {
            Path xdg = expandUser(firstSet(env, "XDG_CACHE_HOME"), userHome);
            hfHome = (xdg != null ? xdg : userHome.resolve(".cache")).resolve("huggingface");
        }
        Path cache = expandUser(firstSet(env, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"), userHome);
        if (cache == null) {
            cache = hfHome.resolve("hub");
        }
        String endpoint = firstSet(env, "HF_ENDPOINT");
        endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint.replaceAll("/+$", "");
        String token = clean(firstSet(env, "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"));
        if (token == null) {
            Path tokenPath = expandUser(firstSet(env, "HF_TOKEN_PATH"), userHome);
            token = readToken(tokenPath != null ? tokenPath : hfHome.resolve("token"));
        }
        String offline = firstSet(env, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE");
        boolean isOffline = offline != null && TRUE_VALUES.contains(offline.trim().toUpperCase(Locale.ROOT));
        return new HubSettings(URI.create(endpoint), cache, token, isOffline);
    }

    /** A copy with {@code offline} set as given. */
    public HubSettings withOffline(boolean offline) {
        return new HubSettings(endpoint, cacheDir, token, offline);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token="
                + (token == null ? "none" : "set") + ", offline=" + offline + "]";
    }

    private static @Nullable String firstSet(Map<String, String> env, String... names) {
        for (String name : names) {
            String v = env.get(name);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    private static @Nullable Path expandUser(@Nullable String value, Path userHome) {
        if (value == null) {
            return null;
        }
        if (value.equals("~")) {
            return userHome;
        }
        if (value.startsWith("~/")) {
            return userHome.resolve(value.substring(2));
        }
        return Path.of(value);
    }

    private static @Nullable String clean(@Nullable String token) {
        if (token == null) {
            return null;
        }
        String t = token.replace("\r", "").replace("\n", "").trim();
        return t.isEmpty() ? null : t;
    }

    private static @Nullable String readToken(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return clean(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warn("cannot read the Hugging Face token file {}: {}; continuing without a token", file, e.toString());
            return null;
        }
    }
}
