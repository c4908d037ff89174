package dev.winnow.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {
    @TempDir Path dir;

    /** A minimal format: {q, pos: [..], neg: [..]}, ids q#i. */
    private static final DatasetFormat FORMAT = (row, origin) -> {
        if (!(row.get("q") instanceof String q)) {
            throw new RowException("row has no 'q' field (string expected)");
        }
        List<Candidate> candidates = new ArrayList<>();
        for (String key : List.of("pos", "neg")) {
            if (row.get(key) instanceof List<?> texts) {
                for (Object t : texts) {
                    String id = row.get("ids") instanceof List<?> ids ? (String) ids.get(candidates.size())
                            : q + "#" + candidates.size();
                    candidates.add(new Candidate(id, (String) t, key.equals("pos") ? 1 : 0, null));
                }
            }
        }
        return List.of(new QueryRecord(q, q, candidates, null, origin));
    };

    private Path write(String text) throws IOException {
        Path file = dir.resolve("d.jsonl");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void rowExceptionGetsFileAndLine() throws IOException {
        Path file = write("{\"q\": \"a\", \"pos\": [\"x\"]}\n{\"query\": \"b\"}\n");
        DatasetReader reader = new DatasetReader(FORMAT, DatasetReader.Options.training());
        UserException e = assertThrows(UserException.class, () -> reader.readAll(List.of(file)));
        assertTrue(e.getMessage().startsWith(file + ":2: row has no 'q' field (string expected)"), e.getMessage());
    }

    @Test
    void skippedRowsAreCountedAndReported() throws IOException {
        Path file = write("""
                {"q": "a", "pos": ["x"], "neg": ["y"]}
                {"query": "b"}
                not json
                {"q": "c", "pos": ["z"]}
                """);
        Dataset data = new DatasetReader(FORMAT, new DatasetReader.Options(OnBadRow.SKIP, NoPositive.SKIP))
                .readAll(List.of(file));
        assertEquals(List.of("a", "c"), data.records().stream().map(QueryRecord::id).toList());
        DataReport report = data.report();
        assertEquals(4, report.rowsRead());
        assertEquals(2, report.records());
        assertEquals(3, report.candidates());
        assertEquals(2, report.badRowsSkipped());
        assertEquals(file + ":2: row has no 'q' field (string expected)", report.firstBadRows().get(0));
        assertTrue(report.firstBadRows().get(1).startsWith(file + ":3: malformed JSON"));
        assertTrue(report.summary().contains("2 bad rows skipped"), report.summary());
    }

    @Test
    void noPositivePolicies() throws IOException {
        Path file = write("""
                {"q": "a", "pos": ["x"], "neg": ["y"]}
                {"q": "b", "neg": ["y"]}
                {"q": "c", "pos": [], "neg": []}
                """);
        Dataset skipped = new DatasetReader(FORMAT, new DatasetReader.Options(OnBadRow.ERROR, NoPositive.SKIP))
                .readAll(List.of(file));
        assertEquals(1, skipped.records().size());
        assertEquals(2, skipped.report().withoutPositive());
        assertEquals(2, skipped.report().withoutPositiveSkipped());
        assertEquals(List.of(file + ":2", file + ":3"), skipped.report().firstWithoutPositive());

        Dataset kept = new DatasetReader(FORMAT, DatasetReader.Options.evaluation()).readAll(List.of(file));
        assertEquals(3, kept.records().size());
        assertEquals(2, kept.report().withoutPositive());
        assertEquals(0, kept.report().withoutPositiveSkipped());

        UserException e = assertThrows(UserException.class,
                () -> new DatasetReader(FORMAT, new DatasetReader.Options(OnBadRow.SKIP, NoPositive.ERROR))
                        .readAll(List.of(file)));
        assertTrue(e.getMessage().startsWith(file + ":2: query 'b' has no positive document"), e.getMessage());
    }

    @Test
    void negativesIdenticalToAPositiveAreRemovedAndCounted() throws IOException {
        Path file = write("{\"q\": \"a\", \"pos\": [\"x\"], \"neg\": [\"y\", \"x\", \"z\", \"x\"]}\n");
        Dataset data = new DatasetReader(FORMAT, DatasetReader.Options.training()).readAll(List.of(file));
        assertEquals(List.of("x", "y", "z"),
                data.records().get(0).candidates().stream().map(Candidate::text).toList());
        assertEquals(2, data.report().negativesSameAsPositive());
    }

    @Test
    void duplicateDocumentIdsAreABadRow() throws IOException {
        Path file = write("{\"q\": \"a\", \"pos\": [\"x\"], \"neg\": [\"y\"], \"ids\": [\"d1\", \"d1\"]}\n");
        UserException e = assertThrows(UserException.class,
                () -> new DatasetReader(FORMAT, DatasetReader.Options.training()).readAll(List.of(file)));
        assertTrue(e.getMessage().startsWith(file + ":1: document id 'd1' appears twice"), e.getMessage());
    }

    @Test
    void streamingReadHandsRecordsToTheSinkInFileOrder() throws IOException {
        Path file = write("{\"q\": \"a\", \"pos\": [\"x\"]}\n{\"q\": \"b\", \"pos\": [\"x\"]}\n");
        List<String> seen = new ArrayList<>();
        DataReport report = new DatasetReader(FORMAT, DatasetReader.Options.training())
                .read(List.of(file), r -> seen.add(r.id() + "@" + r.origin().line()));
        assertEquals(List.of("a@1", "b@2"), seen);
        assertEquals(List.of(file.toString()), report.files());
    }

    /** One labelled pair per row: {q, doc, label, id?}. */
    private static final DatasetFormat PAIRS = (row, origin) -> {
        String q = (String) row.get("q");
        String id = row.get("id") instanceof String s ? s : origin.line() + "#0";
        Candidate c = new Candidate(id, (String) row.get("doc"), ((Number) row.get("label")).doubleValue(), null);
        return List.of(new QueryRecord("line" + origin.line(), q, List.of(c), null, origin));
    };

    @Test
    void mergingPairsOfTheSameQueryMakesOneRecordPerQuery() throws IOException {
        Path file = write("""
                {"q": "a", "doc": "x", "label": 0}
                {"q": "b", "doc": "y", "label": 1}
                {"q": "a", "doc": "z", "label": 1}
                {"q": "a", "doc": "w", "label": 0, "id": "D"}
                {"q": "a", "doc": "w", "label": 0, "id": "D"}
                {"q": "c", "doc": "v", "label": 0}
                """);
        DatasetReader reader = new DatasetReader(PAIRS, DatasetReader.Options.training().withMergeSameQuery(true));
        Dataset data = reader.readAll(List.of(file));
        assertEquals(List.of("line1", "line2"), data.records().stream().map(QueryRecord::id).toList());
        assertEquals(List.of("x", "z", "w"),
                data.records().get(0).candidates().stream().map(Candidate::text).toList());
        assertEquals(3, data.report().mergedRecords());
        assertEquals(1, data.report().duplicateCandidates());
        assertEquals(1, data.report().withoutPositive()); // "c": the first row alone would have had none
        // Without merging, each pair is its own query and those labelled 0 have no positive.
        Dataset unmerged = new DatasetReader(PAIRS, DatasetReader.Options.training()).readAll(List.of(file));
        assertEquals(2, unmerged.records().size());
        assertEquals(4, unmerged.report().withoutPositive());
    }

    @Test
    void mergingAConflictingDocumentIdIsABadRow() throws IOException {
        Path file = write("""
                {"q": "a", "doc": "x", "label": 1, "id": "D"}
                {"q": "a", "doc": "other text", "label": 1, "id": "D"}
                """);
        UserException e = assertThrows(UserException.class, () -> new DatasetReader(PAIRS,
                DatasetReader.Options.training().withMergeSameQuery(true)).readAll(List.of(file)));
        assertTrue(e.getMessage().startsWith(file + ":2: document id 'D' of query 'a' was already read at " + file
                + ":1 with a different text or label"), e.getMessage());
    }
}
