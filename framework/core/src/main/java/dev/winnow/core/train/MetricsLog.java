package dev.winnow.core.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code metrics.jsonl}: one JSON object per logged step or evaluation, appended and flushed. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    public MetricsLog(Path file) {
        this.file = file;
    }

    public void append(Map<String, Object> row) {
        Map<String, Object> copy = new LinkedHashMap<>(row);
        rows.add(copy);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, JSON.writeValueAsString(copy) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }

    /** Rows already in the file (a resumed run keeps plotting its history). */
    @SuppressWarnings("unchecked")
    public void loadExisting(long upToStep) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> row = JSON.readValue(line, Map.class);
                Object step = row.get("step");
                if (step instanceof Number n && n.longValue() <= upToStep) {
                    rows.add(row);
                    kept.add(line);
                }
            }
            // drop rows logged after the checkpoint we resume from: they will be logged again
            Files.write(file, kept.isEmpty() ? List.of() : kept, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public List<Map<String, Object>> rows() {
        return List.copyOf(rows);
    }

    public Path file() {
        return file;
    }
}
