package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwiftLegacyFormatTest {
    private final SwiftLegacyFormat format = new SwiftLegacyFormat(new SwiftLegacyFormat.Config("qid"));

    @Test
    void rerankerAndEmbeddingRows() {
        QueryRecord r = one(format, "{\"query\": \"q\", \"response\": \"p\", \"rejected_response\": [\"n0\", \"n1\"], \"system\": \"s\"}");
        assertEquals("s", r.instruction());
        assertEquals(List.of("train.jsonl:7#0|p|1", "train.jsonl:7#1|n0|0", "train.jsonl:7#2|n1|0"), show(r));
        QueryRecord pair = one(format, "{\"query\": \"a\", \"response\": \"b\", \"label\": 0.25}");
        assertEquals(List.of("train.jsonl:7#0|b|0.25"), show(pair));
        QueryRecord single = one(format, "{\"query\": \"a\", \"response\": \"b\", \"rejected_response\": \"c\"}");
        assertEquals(List.of("train.jsonl:7#0|b|1", "train.jsonl:7#1|c|0"), show(single));
    }

    @Test
    void errorsNameTheField() {
        fails(format, "{\"query\": \"q\", \"rejected_response\": []}",
                "row has no 'response' field (string expected); fields present: query, rejected_response");
        fails(format, "{\"query\": \"q\", \"response\": \"p\", \"label\": \"high\"}",
                "'label' is a string; expected a number label (or true/false)");
    }
}
