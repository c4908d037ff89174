package dev.winnow.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.nn.weights.SafetensorsReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint writer in a child JVM killed with SIGKILL while it writes: what it leaves is either a complete
 * checkpoint whose tensors read back exactly, or a temporary directory that the next start removes.
 */
class KilledCheckpointWriterTest {
    /** 4M floats (16 MiB) per file, so that a write takes long enough to be killed in the middle. */
    static final int SIZE = 4 << 20;

    /** The child: writes checkpoint-1, 2, ... each filled with its step, printing the step after each. */
    public static void main(String[] args) {
        WinnowEngine.start();
        Path run = Path.of(args[0]);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int step = 1; step < 1000; step++) {
                NDArray w = m.full(new Shape(SIZE), (float) step);
                Checkpoints.write(run, step, Map.of("w", w), Map.of("exp_avg.w", w), Map.of("step", step));
                w.close();
                System.out.println("wrote " + step);
                System.out.flush();
            }
        }
    }

    @Test
    void aWriterKilledMidWriteLeavesOnlyCompleteCheckpoints(@TempDir Path dir) throws Exception {
        WinnowEngine.start();
        Path run = dir.resolve("run");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        System.getProperties().forEach((k, v) -> {
            String key = k.toString();
            if (key.startsWith("ai.djl") || key.equals("OPT_OUT_TRACKING") || key.endsWith("_FLAVOR")) {
                command.add("-D" + key + "=" + v);
            }
        });
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KilledCheckpointWriterTest.class.getName(), run.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        int lastWritten = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("wrote ")) {
                    lastWritten = Integer.parseInt(line.substring(6));
                    if (lastWritten == 2) {
                        break;
                    }
                }
            }
            assertEquals(2, lastWritten, "the child never wrote two checkpoints");
            // kill it while checkpoint-3 is being written: wait until a file of it appears, whatever its name
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && tempFiles(run) == 0 && !Files.exists(run.resolve("checkpoint-3"))) {
                Thread.onSpinWait();
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        // every directory named checkpoint-N with a marker reads back whole; the killed write left a temporary one
        boolean leftTemp;
        try (Stream<Path> s = Files.list(run)) {
            leftTemp = s.anyMatch(p -> p.getFileName().toString().contains(".tmp-"));
        }
        Path latest = Checkpoints.latest(run).orElseThrow();
        long step = Checkpoints.step(latest);
        assertTrue(step >= 2, latest.toString());
        for (Path cp : Checkpoints.list(run)) {
            try (SafetensorsReader r = SafetensorsReader.open(cp.resolve("model.safetensors")); NDManager m = NDManager.newBaseManager()) {
                float[] w = r.load("w", m).toFloatArray();
                assertEquals(SIZE, w.length);
                long s = Checkpoints.step(cp);
                assertEquals(s, (long) w[0]);
                assertEquals(s, (long) w[SIZE - 1]);
            }
            assertEquals(Checkpoints.step(cp), ((Number) Checkpoints.state(cp).get("step")).longValue());
        }
        try (Stream<Path> s = Files.list(run)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "latest() removes leftovers");
        }
        // the kill landed inside a write (a temporary directory existed then), unless that write had just finished
        assertTrue(leftTemp || step >= 3, "nothing of the interrupted write was seen");
    }

    private static long tempFiles(Path run) {
        if (!Files.isDirectory(run)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(run)) {
            return s.filter(p -> p.getFileName().toString().contains(".tmp-")).mapToLong(p -> {
                try (Stream<Path> inner = Files.list(p)) {
                    return inner.count();
                } catch (java.io.IOException e) {
                    return 0; // renamed away meanwhile
                }
            }).sum();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
