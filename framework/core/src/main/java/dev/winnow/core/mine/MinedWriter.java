package dev.winnow.core.mine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes mined queries as JSON Lines, atomically (a temporary file beside the output, then a rename), one row per
 * query with its positives and the mined negatives (best-ranked first). {@code qid} carries the query id so the
 * rows trace back to the input; both formats read it back as the id.
 */
public final class MinedWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The row shape written. */
    public enum Format {
        /** FlagEmbedding's {@code {qid, query, pos[], neg[], prompt?}}. */
        FLAGEMBEDDING,
        /** MTEB reranking rows {@code {qid, query, positive[], negative[]}}. */
        MTEB;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Format parse(String id, String option) {
            for (Format f : values()) {
                if (f.id().equals(id)) {
                    return f;
                }
            }
            throw new UserException(option + " '" + id + "' is not an output format; use flagembedding or mteb");
        }
    }

    private MinedWriter() {}

    /** The row for one mined query. */
    public static Map<String, Object> row(HardNegativeMiner.Mined mined, Format format) {
        QueryRecord r = mined.source();
        List<String> pos = r.positives().stream().map(Candidate::text).toList();
        List<String> neg = mined.negatives().stream().map(HardNegativeMiner.Negative::text).toList();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("qid", r.id());
        row.put("query", r.query());
        if (format == Format.FLAGEMBEDDING) {
            row.put("pos", pos);
            row.put("neg", neg);
            if (r.instruction() != null) {
                row.put("prompt", r.instruction());
            }
        } else {
            row.put("positive", pos);
            row.put("negative", neg);
        }
        return row;
    }

    public static void write(List<HardNegativeMiner.Mined> queries, Format format, Path output) {
        Path absolute = output.toAbsolutePath();
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        try {
            Files.createDirectories(absolute.getParent());
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (HardNegativeMiner.Mined m : queries) {
                    w.write(JSON.writeValueAsString(row(m, format)));
                    w.newLine();
                }
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            if (e instanceof java.nio.file.FileSystemException) {
                throw new UserException("cannot write " + output + ": " + e.getMessage());
            }
            throw new UncheckedIOException(e);
        }
    }
}
