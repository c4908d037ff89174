package dev.winnow.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonRowsTest {
    @TempDir Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static List<JsonRows.Row> readAll(Path file, BadRows bad) {
        List<JsonRows.Row> rows = new ArrayList<>();
        JsonRows.read(file, bad, rows::add);
        return rows;
    }

    @Test
    void jsonlSkipsBlankLinesAndKeepsPhysicalLineNumbers() throws IOException {
        Path file = write("a.jsonl", "{\"q\": \"one\"}\n\n   \n{\"q\": \"two\", \"n\": [1, 2.5, true, null]}\r\n{\"q\":\"three\"}");
        List<JsonRows.Row> rows = readAll(file, new BadRows(OnBadRow.ERROR));
        assertEquals(3, rows.size());
        assertEquals(List.of(1L, 4L, 5L), rows.stream().map(r -> r.origin().line()).toList());
        assertEquals(file.toString(), rows.get(0).origin().file());
        assertEquals("two", rows.get(1).value().get("q"));
        List<?> n = (List<?>) rows.get(1).value().get("n");
        assertEquals(1, ((Number) n.get(0)).intValue());
        assertEquals(2.5, ((Number) n.get(1)).doubleValue());
        assertEquals(true, n.get(2));
        assertEquals(null, n.get(3));
    }

    @Test
    void byteOrderMarkIsIgnored() throws IOException {
        Path file = write("bom.jsonl", "\uFEFF{\"q\": \"x\"}\n");
        assertEquals("x", readAll(file, new BadRows(OnBadRow.ERROR)).get(0).value().get("q"));
    }

    @Test
    void malformedLineIsAnErrorNamingFileAndLine() throws IOException {
        Path file = write("bad.jsonl", "{\"q\": \"ok\"}\n{\"q\": \"ok\"}\n{\"q\": \"broken\",}\n");
        UserException e = assertThrows(UserException.class, () -> readAll(file, new BadRows(OnBadRow.ERROR)));
        assertTrue(e.getMessage().startsWith(file + ":3: malformed JSON: "), e.getMessage());
        assertTrue(e.getMessage().contains("column"), e.getMessage());
    }

    @Test
    void trailingContentDuplicateKeysAndNonObjectsAreBadRows() throws IOException {
        Path file = write("odd.jsonl", "{\"q\": 1} {\"q\": 2}\n{\"q\": 1, \"q\": 2}\n[1, 2]\n\"text\"\n{\"q\": \"fine\"}\n");
        BadRows bad = new BadRows(OnBadRow.SKIP);
        List<JsonRows.Row> rows = readAll(file, bad);
        assertEquals(1, rows.size());
        assertEquals(5, rows.get(0).origin().line());
        assertEquals(4, bad.count());
        List<String> first = bad.first();
        assertTrue(first.get(0).startsWith(file + ":1: malformed JSON"), first.get(0));
        assertTrue(first.get(1).startsWith(file + ":2: malformed JSON") && first.get(1).contains("Duplicate"),
                first.get(1));
        assertEquals(file + ":3: expected a JSON object, found an array", first.get(2));
        assertEquals(file + ":4: expected a JSON object, found a string", first.get(3));
    }

    @Test
    void skipPolicyCountsEveryBadRowButKeepsOnlyTheFirstFew() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            text.append("{oops\n{\"q\": ").append(i).append("}\n");
        }
        BadRows bad = new BadRows(OnBadRow.SKIP);
        List<JsonRows.Row> rows = readAll(write("many.jsonl", text.toString()), bad);
        assertEquals(9, rows.size());
        assertEquals(9, bad.count());
        assertEquals(BadRows.KEPT, bad.first().size());
        assertTrue(bad.first().get(4).contains(":9: "), bad.first().get(4));
    }

    @Test
    void jsonArrayIsStreamedWithEachElementsStartLine() throws IOException {
        Path file = write("rows.json", """
                [
                  {"q": "one",
                   "docs": [1, 2]},
                  {"q": "two"},

                  {
                    "q": "three"
                  }
                ]
                """);
        List<JsonRows.Row> rows = readAll(file, new BadRows(OnBadRow.ERROR));
        assertEquals(List.of("one", "two", "three"), rows.stream().map(r -> r.value().get("q")).toList());
        assertEquals(List.of(2L, 4L, 6L), rows.stream().map(r -> r.origin().line()).toList());
    }

    @Test
    void jsonArrayNonObjectElementCanBeSkippedButSyntaxErrorsCannot() throws IOException {
        Path file = write("mixed.json", "[\n{\"q\": 1},\n42,\n{\"q\": 2}\n]");
        BadRows bad = new BadRows(OnBadRow.SKIP);
        assertEquals(2, readAll(file, bad).size());
        assertEquals(List.of(file + ":3: expected a JSON object, found a number"), bad.first());

        Path broken = write("broken.json", "[\n{\"q\": 1},\n{\"q\": 2,,}\n]");
        UserException e = assertThrows(UserException.class, () -> readAll(broken, new BadRows(OnBadRow.SKIP)));
        assertTrue(e.getMessage().startsWith(broken + ":3: malformed JSON: "), e.getMessage());

        Path unclosed = write("unclosed.json", "[\n{\"q\": 1},\n{\"q\": 2}\n");
        UserException u = assertThrows(UserException.class, () -> readAll(unclosed, new BadRows(OnBadRow.SKIP)));
        assertTrue(u.getMessage().startsWith(unclosed + ":"), u.getMessage());
        assertTrue(u.getMessage().contains("malformed JSON"), u.getMessage());

        Path trailing = write("trailing.json", "[{\"q\": 1}]\n{\"q\": 2}\n");
        UserException t = assertThrows(UserException.class, () -> readAll(trailing, new BadRows(OnBadRow.SKIP)));
        assertEquals(trailing + ":2: malformed JSON: content after the top-level array", t.getMessage());
    }

    @Test
    void jsonFileWithOneObjectPerLineIsReadAsJsonLines() throws IOException {
        Path file = write("lines.json", "{\"q\": \"a\"}\n{\"q\": \"b\"}\n");
        List<JsonRows.Row> rows = readAll(file, new BadRows(OnBadRow.ERROR));
        assertEquals(List.of("a", "b"), rows.stream().map(r -> r.value().get("q")).toList());
    }

    @Test
    void invalidUtf8IsAnErrorWithItsLine() throws IOException {
        Path file = dir.resolve("latin1.jsonl");
        byte[] good = "{\"q\": \"a\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"q\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(file, all);
        UserException e = assertThrows(UserException.class, () -> readAll(file, new BadRows(OnBadRow.SKIP)));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    @Test
    void resolvesFilesDirectoriesAndGlobs() throws IOException {
        Path b = write("data/b.jsonl", "{}\n");
        Path a = write("data/a.json", "[]");
        write("data/notes.txt", "x");
        Path nested = write("data/sub/c.jsonl", "{}\n");
        assertEquals(List.of(a, b), JsonRows.resolve("data", dir));
        assertEquals(List.of(b), JsonRows.resolve("data/b.jsonl", dir));
        assertEquals(List.of(b), JsonRows.resolve(b.toString(), Path.of("/elsewhere")));
        assertEquals(List.of(b), JsonRows.resolve("data/*.jsonl", dir));
        assertEquals(List.of(a, b), JsonRows.resolve("data/*.{json,jsonl}", dir));
        assertEquals(List.of(nested), JsonRows.resolve("data/**/*.jsonl", dir));

        UserException missing = assertThrows(UserException.class, () -> JsonRows.resolve("data/nope.jsonl", dir));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        UserException noMatch = assertThrows(UserException.class, () -> JsonRows.resolve("data/*.csv", dir));
        assertTrue(noMatch.getMessage().contains("matches no files"), noMatch.getMessage());
        Files.createDirectories(dir.resolve("empty"));
        assertThrows(UserException.class, () -> JsonRows.resolve("empty", dir));
    }

    @Test
    void readsFilesInTurn() throws IOException {
        Path a = write("x/1.jsonl", "{\"i\": 1}\n{\"i\": 2}\n");
        Path b = write("x/2.jsonl", "{\"i\": 3}\n");
        List<Object> seen = new ArrayList<>();
        JsonRows.read(List.of(a, b), new BadRows(OnBadRow.ERROR), r -> seen.add(r.value().get("i")));
        assertEquals(List.of(1, 2, 3), seen);
        assertEquals("a number", JsonRows.kind(1));
        assertEquals("an object", JsonRows.kind(Map.of()));
    }
}
