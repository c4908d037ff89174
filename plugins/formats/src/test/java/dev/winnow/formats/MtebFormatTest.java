package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class MtebFormatTest {
    private final MtebFormat format = new MtebFormat(new MtebFormat.Config("qid"));

    @Test
    void listsOfStringsAndGeneratedIds() {
        QueryRecord r = one(format, """
                {"query": "why is the sky blue", "positive": ["Rayleigh scattering."], "negative": ["Clouds are white.", "Oceans reflect."]}""");
        assertEquals("train.jsonl:7", r.id());
        assertEquals("why is the sky blue", r.query());
        assertNull(r.instruction());
        assertEquals(List.of("train.jsonl:7#0|Rayleigh scattering.|1", "train.jsonl:7#1|Clouds are white.|0",
                "train.jsonl:7#2|Oceans reflect.|0"), show(r));
    }

    @Test
    void singleStringsObjectsWithIdsAndAbsentNegatives() {
        QueryRecord r = one(format, """
                {"qid": 12, "query": "q", "positive": "p", "negative": [{"text": "n0", "id": "D9"}, {"text": "n1"}]}""");
        assertEquals("12", r.id());
        assertEquals(List.of("12#0|p|1", "D9|n0|0", "12#2|n1|0"), show(r));
        assertEquals(List.of("12#0|a|1"), show(one(format, "{\"qid\": \"12\", \"query\": \"q\", \"positive\": [\"a\"]}")));
    }

    @Test
    void errorsNameTheField() {
        fails(format, "{\"qid\": 1, \"docs\": []}",
                "row has no 'query' field (string expected); fields present: qid, docs");
        fails(format, "{\"query\": 3, \"positive\": []}", "'query' is a number; expected a string");
        fails(format, "{\"query\": \"q\", \"negative\": []}",
                "row has no 'positive' field (string or array expected); fields present: query, negative");
        fails(format, "{\"query\": \"q\", \"positive\": [\"a\", 5]}",
                "'positive[1]' is a number; expected a string or an object with 'text'");
        fails(format, "{\"query\": \"q\", \"positive\": [{\"body\": \"a\"}]}",
                "'positive[0]' has no 'text' field (string expected); fields present: body");
        fails(format, "{\"query\": \"  \", \"positive\": []}", "'query' is empty");
        fails(format, "{\"qid\": [1], \"query\": \"q\", \"positive\": []}",
                "'qid' is an array; expected a string or an integer id");
    }
}
