package dev.winnow.core.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
    @TempDir
    Path home;

    @Test
    void defaultsFollowHuggingFaceHub() {
        HubSettings s = HubSettings.fromEnvironment(Map.of(), home);
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
        assertNull(s.token());
        assertFalse(s.offline());
        assertEquals(Path.of("/x/huggingface/hub"),
                HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).cacheDir());
    }

    @Test
    void environmentOverridesEachSetting() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString(),
                "HF_ENDPOINT", "http://mirror.local:8080/", "HF_HUB_OFFLINE", "1"), home);
        assertEquals(URI.create("http://mirror.local:8080"), s.endpoint());
        assertEquals(hfHome.resolve("hub"), s.cacheDir());
        assertEquals("hf_from_file", s.token());
        assertTrue(s.offline());
        assertFalse(s.toString().contains("hf_from_file"), "the token is never printed");

        HubSettings t = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_TOKEN", "hf_env",
                "HF_HUB_CACHE", "~/elsewhere", "HF_HUB_OFFLINE", "0"), home);
        assertEquals("hf_env", t.token());
        assertEquals(home.resolve("elsewhere"), t.cacheDir());
        assertFalse(t.offline());
        assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "true"), home).offline());
        assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "YES"), home).offline());
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "no"), home).offline());
    }
}
