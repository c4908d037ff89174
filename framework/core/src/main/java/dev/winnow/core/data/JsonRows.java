package dev.winnow.core.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.data.RowOrigin;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Streams JSON rows from data files without loading a file into memory.
 *
 * <ul>
 *   <li>{@code .jsonl} (and any file not named {@code .json}): one JSON object per line; blank lines are ignored.
 *   <li>{@code .json}: a top-level array, streamed element by element, each row's origin being the line where its
 *       element starts; a {@code .json} file that does not start with {@code [} is read as JSON Lines, as the
 *       Hugging Face {@code json} loader (and so FlagEmbedding) does.
 * </ul>
 *
 * A row that is not valid JSON, or not a JSON object, goes to {@link BadRows}: an error naming {@code file:line},
 * or a counted skip. One exception: a syntax error inside a {@code .json} array is always an error, because the
 * parser cannot find where the next element starts.
 */
public final class JsonRows {
    /** One parsed row: a JSON object as maps, lists, strings, numbers, booleans and nulls. */
    public record Row(Map<String, Object> value, RowOrigin origin) {}

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** For elements of an array, where the rest of the array follows each value. */
    private static final ObjectReader ELEMENT_READER =
            MAPPER.readerFor(Object.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonRows() {}

    /**
     * The data files a recipe path names: a file; a directory (its {@code .jsonl} and {@code .json} files, not
     * recursive, in name order); or a glob such as {@code data/train-*.jsonl} or {@code data/**}{@code /*.jsonl}
     * (matching files in path order). Relative specs resolve against {@code baseDirectory}.
     *
     * @throws UserException when nothing exists or matches
     */
    public static List<Path> resolve(String spec, Path baseDirectory) {
        if (spec.isBlank()) {
            throw new UserException("data path is empty");
        }
        if (isGlob(spec)) {
            return glob(spec, baseDirectory);
        }
        Path path;
        try {
            path = baseDirectory.resolve(spec).normalize();
        } catch (InvalidPathException e) {
            throw new UserException("data path '" + spec + "' is not a valid path: " + e.getMessage());
        }
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> list = Files.list(path)) {
                files = list.filter(p -> Files.isRegularFile(p) && isDataFileName(p))
                        .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + path, e);
            }
            if (files.isEmpty()) {
                throw new UserException("data directory " + path + " holds no .jsonl or .json files");
            }
            return files;
        }
        if (!Files.isRegularFile(path)) {
            throw new UserException("data file " + path + " does not exist"
                    + (path.toString().equals(spec) ? "" : " (path '" + spec + "' resolved against " + baseDirectory + ")"));
        }
        return List.of(path);
    }

    /**
     * Streams the rows of each file in turn.
     *
     * @return the number of rows seen, bad ones included (blank lines are not rows)
     */
    public static long read(List<Path> files, BadRows badRows, Consumer<Row> sink) {
        long rows = 0;
        for (Path file : files) {
            rows += read(file, badRows, sink);
        }
        return rows;
    }

    /**
     * Streams the rows of one file, handing bad rows to {@code badRows}.
     *
     * @return the number of rows seen, bad ones included (blank lines are not rows)
     */
    public static long read(Path file, BadRows badRows, Consumer<Row> sink) {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") && startsWithArray(file)) {
            return readArray(file, badRows, sink);
        } else {
            return readLines(file, badRows, sink);
        }
    }

    private static long readLines(Path file, BadRows badRows, Consumer<Row> sink) {
        String name = file.toString();
        long lineNumber = 0;
        long rows = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (true) {
                try {
                    line = reader.readLine();
                } catch (CharacterCodingException e) {
                    throw new UserException(name + ":" + (lineNumber + 1) + ": not valid UTF-8 text");
                }
                if (line == null) {
                    break;
                }
                lineNumber++;
                if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                rows++;
                RowOrigin origin = new RowOrigin(name, lineNumber);
                Object value;
                try {
                    value = MAPPER.readValue(line, Object.class);
                } catch (JsonProcessingException e) {
                    badRows.report(origin, "malformed JSON: " + describe(e));
                    continue;
                }
                emit(value, origin, badRows, sink);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
        return rows;
    }

    private static long readArray(Path file, BadRows badRows, Consumer<Row> sink) {
        String name = file.toString();
        long rows = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file));
                JsonParser parser = MAPPER.createParser(in)) {
            try {
                parser.nextToken(); // START_ARRAY, checked by startsWithArray
                while (true) {
                    JsonToken token = parser.nextToken();
                    if (token == null) {
                        throw new UserException(name + ":" + parser.currentLocation().getLineNr()
                                + ": malformed JSON: the top-level array is not closed with ']'");
                    }
                    if (token == JsonToken.END_ARRAY) {
                        break;
                    }
                    rows++;
                    RowOrigin origin = new RowOrigin(name, parser.currentTokenLocation().getLineNr());
                    Object value = ELEMENT_READER.readValue(parser);
                    emit(value, origin, badRows, sink);
                }
                if (parser.nextToken() != null) {
                    throw new UserException(name + ":" + parser.currentTokenLocation().getLineNr()
                            + ": malformed JSON: content after the top-level array");
                }
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation();
                long line = at == null ? parser.currentLocation().getLineNr() : at.getLineNr();
                throw new UserException(name + ":" + line + ": malformed JSON: " + describe(e)
                        + " (a syntax error inside a .json array cannot be skipped; JSON Lines rows can)");
            }
        } catch (CharacterCodingException e) {
            throw new UserException(name + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static void emit(Object value, RowOrigin origin, BadRows badRows, Consumer<Row> sink) {
        if (value instanceof Map<?, ?> map) {
            sink.accept(new Row((Map<String, Object>) map, origin));
        } else {
            badRows.report(origin, "expected a JSON object, found " + kind(value));
        }
    }

    /** A JSON type name for messages (see {@link dev.winnow.api.data.JsonValues#kind}). */
    public static String kind(@org.jspecify.annotations.Nullable Object value) {
        return dev.winnow.api.data.JsonValues.kind(value);
    }

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        JsonLocation at = e.getLocation();
        return at == null || at.getColumnNr() <= 0 ? message : message + " at column " + at.getColumnNr();
    }

    private static boolean startsWithArray(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            int b = in.read();
            // Skip a UTF-8 byte order mark and whitespace.
            if (b == 0xEF) {
                in.read();
                in.read();
                b = in.read();
            }
            while (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                b = in.read();
            }
            return b == '[';
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static boolean isDataFileName(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jsonl") || name.endsWith(".json");
    }

    private static boolean isGlob(String spec) {
        return spec.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<Path> glob(String spec, Path baseDirectory) {
        // Walk from the longest directory prefix without glob characters.
        String normalized = spec.replace('\\', '/');
        int firstGlob = 0;
        while (firstGlob < normalized.length() && "*?[{".indexOf(normalized.charAt(firstGlob)) < 0) {
            firstGlob++;
        }
        int slash = normalized.lastIndexOf('/', firstGlob);
        String prefix = slash < 0 ? "" : normalized.substring(0, slash + 1);
        Path root = baseDirectory.resolve(prefix.isEmpty() ? "." : prefix).normalize();
        Path absolutePattern = baseDirectory.resolve(normalized).normalize();
        PathMatcher matcher;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + absolutePattern);
        } catch (IllegalArgumentException e) {
            throw new UserException("data path '" + spec + "' is not a valid glob: " + e.getMessage());
        }
        if (!Files.isDirectory(root)) {
            throw new UserException("data glob '" + spec + "': directory " + root + " does not exist");
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> Files.isRegularFile(p) && matcher.matches(p.normalize()))
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        if (files.isEmpty()) {
            throw new UserException("data glob '" + spec + "' matches no files under " + root);
        }
        return List.copyOf(files);
    }
}
