package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairsFormatTest {
    private final PairsFormat format =
            new PairsFormat(new PairsFormat.Config("query", "document", "label", "qid", "doc_id", null));

    @Test
    void pairsKeepTheirLabel() {
        QueryRecord r = one(format, "{\"qid\": \"q1\", \"query\": \"q\", \"document\": \"d\", \"label\": 1, \"doc_id\": \"D1\"}");
        assertEquals("q1", r.id());
        assertEquals(List.of("D1|d|1"), show(r));
        assertEquals(List.of("train.jsonl:7#0|d|0"), show(one(format, "{\"query\": \"q\", \"document\": \"d\", \"label\": false}")));
        assertEquals(List.of("train.jsonl:7#0|d|0.7"), show(one(format, "{\"query\": \"q\", \"document\": \"d\", \"label\": \"0.7\"}")));
    }

    @Test
    void configurableFieldNames() {
        PairsFormat custom = new PairsFormat(new PairsFormat.Config("sentence1", "sentence2", "score", "pair_id", "doc", "task"));
        QueryRecord r = one(custom, "{\"pair_id\": 4, \"sentence1\": \"a\", \"sentence2\": \"b\", \"score\": 3.5, \"task\": \"sts\"}");
        assertEquals("4", r.id());
        assertEquals("a", r.query());
        assertEquals("sts", r.instruction());
        assertEquals(List.of("train.jsonl:7#0|b|3.5"), show(r));
        fails(custom, "{\"sentence1\": \"a\", \"sentence2\": \"b\"}",
                "row has no 'score' field (number expected); fields present: sentence1, sentence2");
    }

    @Test
    void errorsNameTheField() {
        fails(format, "{\"query\": \"q\", \"label\": 1}",
                "row has no 'document' field (string expected); fields present: query, label");
        fails(format, "{\"query\": \"q\", \"document\": \"d\", \"label\": [1]}",
                "'label' is an array; expected a number label (or true/false)");
        fails(format, "{\"query\": \"q\", \"document\": \"d\", \"label\": \"yes\"}",
                "'label' is a string; expected a number label (or true/false)");
    }
}
