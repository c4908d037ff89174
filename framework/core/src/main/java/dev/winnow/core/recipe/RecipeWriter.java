package dev.winnow.core.recipe;

import dev.winnow.core.recipe.ConfigKeys.KeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Writes the fully resolved recipe (inheritance, overrides, environment references and every default applied)
 * so that a run can be reproduced from that one file. Loading the written file gives an equal {@link Recipe}.
 */
public final class RecipeWriter {
    private RecipeWriter() {}

    /** The recipe as plain YAML data: records become maps with their recipe keys, enums their ids. */
    public static Map<String, Object> toTree(Record record) {
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) plain(record);
        return tree;
    }

    /** YAML text with a header naming the Winnow version and the git commit of the recipe's checkout, if any. */
    public static String toYaml(LoadedRecipe loaded, String winnowVersion) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setWidth(120);
        options.setSplitLines(false);
        StringBuilder sb = new StringBuilder();
        sb.append("# Resolved by Winnow ").append(winnowVersion).append(" at ").append(Instant.now()).append('\n');
        sb.append("# from ").append(loaded.file().toAbsolutePath()).append('\n');
        String commit = gitCommit(loaded.file().toAbsolutePath().getParent());
        if (commit != null) {
            sb.append("# git commit: ").append(commit).append('\n');
        }
        sb.append("# Every key holds its effective value: run it again with `runner <this file>`.\n");
        sb.append(new Yaml(options).dump(toTree(loaded.recipe())));
        return sb.toString();
    }

    /** Writes {@link #toYaml} to {@code target} atomically. */
    public static void write(LoadedRecipe loaded, String winnowVersion, Path target) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.writeString(tmp, toYaml(loaded, winnowVersion), StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the resolved recipe to " + target, e);
        }
    }

    private static @Nullable Object plain(@Nullable Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof ComponentSpec<?> spec) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("type", spec.id());
            Object config = plain(spec.config());
            if (config instanceof Map<?, ?> m) {
                m.forEach((k, v) -> out.put(String.valueOf(k), v));
            }
            return out;
        }
        if (value instanceof Record record) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (KeySpec key : ConfigKeys.of(record.getClass()).keys()) {
                try {
                    var accessor = key.component().getAccessor();
                    accessor.setAccessible(true);
                    Object v = accessor.invoke(record);
                    if (v != null) {
                        out.put(key.key(), plain(v));
                    }
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + key.key() + " of " + record.getClass().getName(), e);
                }
            }
            return out;
        }
        if (value instanceof Enum<?> e) {
            return Binder.enumId(e);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(plain(v)));
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
            return out;
        }
        if (value instanceof Path p) {
            return p.toString();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        return value;
    }

    /** The HEAD commit of the git checkout containing {@code dir}, or null outside one (or without git). */
    static @Nullable String gitCommit(@Nullable Path dir) {
        if (dir == null) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && out.matches("[0-9a-f]{40}") ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
