package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelledListFormatTest {
    static final LabelledListFormat.Config DEFAULTS =
            new LabelledListFormat.Config("query", "qid", "docs", "text", "label", "id", null, 0);

    @Test
    void defaultsReadTheWikiQaShape() {
        QueryRecord r = one(new LabelledListFormat(DEFAULTS), """
                {"qid": "dev-3", "query": "q", "docs": [{"id": "d0", "text": "a", "label": 0}, {"text": "b", "label": 1}]}""");
        assertEquals("dev-3", r.id());
        assertEquals(List.of("d0|a|0", "dev-3#1|b|1"), show(r));
    }

    @Test
    void fieldNamesAndThresholdAreConfigurable() {
        LabelledListFormat format = new LabelledListFormat(
                new LabelledListFormat.Config("question", "id", "passages", "body", "relevance", "pid", "task", 1));
        QueryRecord r = one(format, """
                {"id": 9, "question": "q", "task": "t", "passages": [{"pid": 1, "body": "a", "relevance": 2}, {"pid": 2, "body": "b", "relevance": 1}]}""");
        assertEquals("t", r.instruction());
        assertEquals(List.of("1|a|2", "2|b|0"), show(r));
    }

    @Test
    void errorsNameThePlace() {
        LabelledListFormat format = new LabelledListFormat(DEFAULTS);
        fails(format, "{\"qid\": 1, \"docs\": []}", "row has no 'query' field (path 'query'); fields present: qid, docs");
        fails(format, "{\"query\": \"q\"}", "row has no 'docs' field (path 'docs[].text'); fields present: query");
        fails(format, "{\"query\": \"q\", \"docs\": [{\"text\": \"a\", \"label\": \"x\"}]}",
                "'docs[0].label' is a string; expected a number label (or true/false)");
    }
}
