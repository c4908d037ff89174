package dev.winnow.formats;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import dev.winnow.api.data.RowOrigin;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Inline rows for format tests. */
final class TestRows {
    static final RowOrigin ORIGIN = new RowOrigin("/data/train.jsonl", 7);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TestRows() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> row(String json) {
        try {
            return MAPPER.readValue(json, Map.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static QueryRecord one(DatasetFormat format, String json) {
        List<QueryRecord> records = format.convert(row(json), ORIGIN);
        assertEquals(1, records.size());
        assertEquals(ORIGIN, records.get(0).origin());
        return records.get(0);
    }

    static void fails(DatasetFormat format, String json, String message) {
        RowException e = assertThrows(RowException.class, () -> format.convert(row(json), ORIGIN));
        assertEquals(message, e.getMessage());
    }

    /** {@code id|text|label|teacher} for each candidate, to compare whole records in one line. */
    static List<String> show(QueryRecord record) {
        return record.candidates().stream().map(TestRows::show).toList();
    }

    static String show(Candidate c) {
        return c.id() + "|" + c.text() + "|" + fmt(c.label()) + (c.teacherScore() == null ? "" : "|" + fmt(c.teacherScore()));
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
