package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.WinnowPlugin;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** Every plugin artifact carries its META-INF/services entry, naming a class that is a WinnowPlugin. */
class PluginJarsTest {
    static final String SERVICE = "META-INF/services/" + WinnowPlugin.class.getName();

    @Test
    void everyPluginArtifactCarriesItsServicesEntry() throws IOException, URISyntaxException {
        List<String> checked = new ArrayList<>();
        for (WinnowPlugin plugin : ServiceLoader.load(WinnowPlugin.class)) {
            Path location = Path.of(plugin.getClass().getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> listed = services(location);
            assertTrue(listed.contains(plugin.getClass().getName()), location + " lists " + listed);
            checked.add(location.getFileName().toString());
        }
        // Every module under plugins/ and both third-party fixtures were found through their entries.
        Path root = Path.of(System.getProperty("winnow.repo.root"));
        try (var dirs = Files.list(root.resolve("plugins"))) {
            for (Path module : dirs.filter(Files::isDirectory).toList()) {
                Path services = module.resolve("src/main/resources").resolve(SERVICE);
                assertTrue(Files.isRegularFile(services), "plugin module " + module.getFileName() + " has no " + SERVICE);
            }
        }
        assertTrue(checked.stream().anyMatch(n -> n.startsWith("hinge-loss-plugin")), checked.toString());
        assertTrue(checked.stream().anyMatch(n -> n.startsWith("winnow-example-kotlin-plugin")), checked.toString());
        assertFalse(checked.isEmpty());
    }

    static List<String> services(Path location) throws IOException {
        String text;
        if (Files.isDirectory(location)) {
            text = Files.readString(location.resolve(SERVICE), StandardCharsets.UTF_8);
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                var entry = jar.getEntry(SERVICE);
                assertTrue(entry != null, location + " has no " + SERVICE);
                text = new String(jar.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return text.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
