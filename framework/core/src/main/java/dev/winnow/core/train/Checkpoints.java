package dev.winnow.core.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.core.io.FileTrees;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoint directories {@code checkpoint-<step>/} in the run directory: model weights, optimizer moments,
 * {@code trainer_state.json} and a {@code COMPLETE} marker. Each is written under a temporary name, flushed to
 * disk, and renamed into place in one atomic step, so a killed process never leaves a directory that looks
 * complete; leftovers of an interrupted write are removed on the next start.
 */
public final class Checkpoints {
    static final String COMPLETE = "COMPLETE";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoints() {}

    /** Writes one checkpoint atomically and returns its directory. */
    public static Path write(Path runDir, long step, Map<String, NDArray> model, Map<String, NDArray> optimizer,
            Map<String, Object> state) {
        Path target = runDir.resolve("checkpoint-" + step);
        Path tmp = runDir.resolve(".checkpoint-" + step + ".tmp-" + ProcessHandle.current().pid());
        try {
            FileTrees.deleteTree(tmp);
            Files.createDirectories(tmp);
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), model, Map.of("format", "pt"));
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), optimizer, Map.of());
            Files.writeString(tmp.resolve("trainer_state.json"), JSON.writeValueAsString(state));
            fsync(tmp.resolve("trainer_state.json"));
            Files.writeString(tmp.resolve(COMPLETE), "step " + step + "\n");
            fsync(tmp.resolve(COMPLETE));
            fsync(tmp);
            // an existing checkpoint of this step is moved aside first, so some complete copy exists at every moment
            Path aside = runDir.resolve(".checkpoint-" + step + ".old-" + ProcessHandle.current().pid());
            if (Files.exists(target)) {
                FileTrees.deleteTree(aside);
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            fsync(runDir);
            FileTrees.deleteTree(aside);
            return target;
        } catch (IOException e) {
            FileTrees.deleteTree(tmp);
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    /** Complete checkpoints, oldest first. */
    public static List<Path> list(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(runDir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(COMPLETE)))
                    .sorted(Comparator.comparingLong(Checkpoints::step))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest complete checkpoint, after removing leftovers of interrupted writes. */
    public static Optional<Path> latest(Path runDir) {
        cleanInterrupted(runDir);
        List<Path> all = list(runDir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Removes temporary checkpoint directories and checkpoint directories without their marker. */
    public static void cleanInterrupted(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(runDir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                boolean temp = name.startsWith(".checkpoint-") && (name.contains(".tmp-") || name.contains(".old-"));
                boolean incomplete = NAME.matcher(name).matches() && !Files.isRegularFile(p.resolve(COMPLETE));
                if (temp || incomplete) {
                    FileTrees.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the newest {@code keep} checkpoints and {@code best} (if any); deletes the rest. */
    public static void prune(Path runDir, int keep, Optional<Path> best) {
        List<Path> all = list(runDir);
        for (int i = 0; i < all.size() - keep; i++) {
            Path p = all.get(i);
            if (best.isEmpty() || !best.get().equals(p)) {
                FileTrees.deleteTree(p);
            }
        }
    }

    public static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(checkpoint + " is not a checkpoint directory");
        }
        return Long.parseLong(m.group(1));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> state(Path checkpoint) {
        try {
            return JSON.readValue(checkpoint.resolve("trainer_state.json").toFile(), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checkpoint.resolve("trainer_state.json"), e);
        }
    }

    static void fsync(Path p) {
        try (FileChannel ch = FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }

}
