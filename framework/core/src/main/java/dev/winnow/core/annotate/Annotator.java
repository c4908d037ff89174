package dev.winnow.core.annotate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.infer.TextPair;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores every (query, candidate) of the records with a teacher and writes FlagEmbedding rows {@code {qid, query,
 * pos[], neg[], pos_scores[], neg_scores[], prompt?}}, one per query in input order.
 *
 * <p>Resume-safe and atomic: rows are appended to {@code <output>.partial}, flushed to disk after every chunk of
 * queries; the finished file is renamed onto the output, so the output is either absent, the previous one, or
 * complete. Run again after an interruption, the rows already in the partial file are checked against the input
 * (same query ids and texts, in order; a torn last line is dropped) and kept, and scoring continues after them: no
 * query is scored or written twice. A partial file written for other input is an error, never silently mixed in.
 */
public final class Annotator {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Queries scored per teacher call (and per flush of the partial file). */
    static final int CHUNK = 16;

    private Annotator() {}

    /** What was done: the annotated records (teacher scores set), how many were resumed and scored, pairs/s. */
    public record Result(List<QueryRecord> records, int resumed, int scored, long pairs, double seconds) {
        public Result {
            records = List.copyOf(records);
        }

        public double pairsPerSecond() {
            return seconds > 0 ? pairs / seconds : 0;
        }
    }

    /** The partial file beside {@code output}. */
    public static Path partial(Path output) {
        Path absolute = output.toAbsolutePath();
        return absolute.resolveSibling(absolute.getFileName() + ".partial");
    }

    /**
     * @param records queries with at least one positive (FlagEmbedding rows need one)
     * @param terminal redraw one progress bar (else a plain line about every tenth of the work)
     */
    public static Result annotate(List<QueryRecord> records, Teacher teacher, Path output, PrintStream log,
            boolean terminal) {
        for (QueryRecord r : records) {
            if (r.positives().isEmpty()) {
                throw new IllegalArgumentException("query " + r.id() + " has no positive");
            }
        }
        Path absolute = output.toAbsolutePath();
        Path partial = partial(absolute);
        try {
            Files.createDirectories(absolute.getParent());
            List<QueryRecord> done = resume(records, partial);
            List<QueryRecord> out = new ArrayList<>(done);
            long totalPairs = records.stream().mapToLong(r -> r.candidates().size()).sum();
            long pairsDone = done.stream().mapToLong(r -> r.candidates().size()).sum();
            if (!done.isEmpty()) {
                log.printf(Locale.ROOT, "annotate: resuming after %d of %d queries already in %s%n", done.size(),
                        records.size(), partial);
            }
            long start = System.nanoTime();
            long scoredPairs = 0;
            long nextLine = 0;
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                for (int from = done.size(); from < records.size(); from += CHUNK) {
                    List<QueryRecord> chunk = records.subList(from, Math.min(records.size(), from + CHUNK));
                    List<TextPair> pairs = new ArrayList<>();
                    for (QueryRecord r : chunk) {
                        for (Candidate c : r.candidates()) {
                            pairs.add(new TextPair(r.query(), c.text()));
                        }
                    }
                    float[] scores = teacher.score(pairs);
                    if (scores.length != pairs.size()) {
                        throw new IllegalStateException("the teacher returned " + scores.length + " scores for "
                                + pairs.size() + " pairs");
                    }
                    StringBuilder text = new StringBuilder();
                    int k = 0;
                    for (QueryRecord r : chunk) {
                        List<Candidate> scored = new ArrayList<>(r.candidates().size());
                        for (Candidate c : r.candidates()) {
                            float s = scores[k++];
                            if (!Float.isFinite(s)) {
                                throw new IllegalStateException("the teacher scored query " + r.id() + " with " + s);
                            }
                            scored.add(new Candidate(c.id(), c.text(), c.label(), (double) s));
                        }
                        QueryRecord annotated = new QueryRecord(r.id(), r.query(), scored, r.instruction(), r.origin());
                        out.add(annotated);
                        text.append(JSON.writeValueAsString(row(annotated))).append('\n');
                    }
                    ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                    channel.force(false);
                    scoredPairs += pairs.size();
                    pairsDone += pairs.size();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double rate = seconds > 0 ? scoredPairs / seconds : 0;
                    boolean last = out.size() == records.size();
                    if (terminal || last || pairsDone >= nextLine) {
                        progress(log, terminal, out.size(), records.size(), pairsDone, totalPairs, rate, last);
                        nextLine = pairsDone + Math.max(1, totalPairs / 10);
                    }
                }
            }
            Files.move(partial, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Result(out, done.size(), records.size() - done.size(), scoredPairs,
                    (System.nanoTime() - start) / 1e9);
        } catch (IOException e) {
            if (e instanceof java.nio.file.FileSystemException) {
                throw new UserException("cannot write " + output + ": " + e.getMessage());
            }
            throw new UncheckedIOException(e);
        }
    }

    private static void progress(PrintStream log, boolean terminal, int queries, int totalQueries, long pairs,
            long totalPairs, double rate, boolean last) {
        double eta = rate > 0 ? (totalPairs - pairs) / rate : 0;
        String stats = String.format(Locale.ROOT, "%d/%d queries  %d/%d pairs  %.1f pairs/s  eta %dm%02ds", queries,
                totalQueries, pairs, totalPairs, rate, Math.round(eta) / 60, Math.round(eta) % 60);
        if (terminal) {
            int width = 30;
            int filled = (int) (width * pairs / Math.max(1, totalPairs));
            log.print("\rannotate [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + stats + "   ");
            if (last) {
                log.println();
            }
            log.flush();
        } else {
            log.println("annotate: " + stats);
        }
    }

    /** The FlagEmbedding row of an annotated query: positives, then negatives, each with its teacher score. */
    public static Map<String, Object> row(QueryRecord r) {
        List<String> pos = new ArrayList<>();
        List<Double> posScores = new ArrayList<>();
        List<String> neg = new ArrayList<>();
        List<Double> negScores = new ArrayList<>();
        for (Candidate c : r.candidates()) {
            Double s = c.teacherScore();
            if (s == null) {
                throw new IllegalArgumentException("candidate " + c.id() + " of query " + r.id() + " has no teacher score");
            }
            (c.positive() ? pos : neg).add(c.text());
            (c.positive() ? posScores : negScores).add(s);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("qid", r.id());
        row.put("query", r.query());
        row.put("pos", pos);
        row.put("neg", neg);
        row.put("pos_scores", posScores);
        row.put("neg_scores", negScores);
        if (r.instruction() != null) {
            row.put("prompt", r.instruction());
        }
        return row;
    }

    /**
     * The queries already written to the partial file, with their scores, after checking they are the input's
     * first ones; the file is cut back to its last complete, valid line (a write torn by an interruption).
     */
    static List<QueryRecord> resume(List<QueryRecord> records, Path partial) throws IOException {
        if (!Files.exists(partial)) {
            return List.of();
        }
        List<QueryRecord> done = new ArrayList<>();
        long validBytes = 0;
        try (BufferedReader reader = Files.newBufferedReader(partial, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    break; // a torn last line: scored again
                }
                if (row == null || !row.isObject() || done.size() >= records.size()) {
                    break;
                }
                QueryRecord r = records.get(done.size());
                List<Candidate> scored = scoresFor(r, row);
                if (scored == null) {
                    throw new UserException(partial + ":" + n + ": this partial output of an interrupted annotation"
                            + " does not match the input (query " + r.id() + " '" + r.query() + "' expected, found qid "
                            + row.path("qid").asText("?") + "); delete it to start again");
                }
                done.add(new QueryRecord(r.id(), r.query(), scored, r.instruction(), r.origin()));
                validBytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
            }
        }
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            if (channel.size() > validBytes) {
                channel.truncate(validBytes);
            }
        }
        return done;
    }

    /** The record's candidates with the row's scores, or null when the row is not this record's. */
    private static @org.jspecify.annotations.Nullable List<Candidate> scoresFor(QueryRecord r, JsonNode row) {
        if (!r.id().equals(row.path("qid").asText(null)) || !r.query().equals(row.path("query").asText(null))) {
            return null;
        }
        JsonNode pos = row.path("pos");
        JsonNode neg = row.path("neg");
        JsonNode posScores = row.path("pos_scores");
        JsonNode negScores = row.path("neg_scores");
        List<Candidate> out = new ArrayList<>();
        int p = 0;
        int q = 0;
        for (Candidate c : r.candidates()) {
            JsonNode texts = c.positive() ? pos : neg;
            JsonNode scores = c.positive() ? posScores : negScores;
            int i = c.positive() ? p++ : q++;
            if (!texts.has(i) || !scores.has(i) || !c.text().equals(texts.get(i).asText(null)) || !scores.get(i).isNumber()) {
                return null;
            }
            out.add(new Candidate(c.id(), c.text(), c.label(), scores.get(i).asDouble()));
        }
        return p == pos.size() && q == neg.size() ? out : null;
    }
}
