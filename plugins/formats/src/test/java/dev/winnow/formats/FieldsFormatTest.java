package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.winnow.api.UserException;
import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldsFormatTest {
    static FieldsFormat.Config documents(String id, String documents, String labels, String docIds) {
        return new FieldsFormat.Config("query", id, null, null, null, documents, labels, docIds, null, null, null, 0);
    }

    @Test
    void wikiQaShapedRowTrainsWithoutConversion() {
        FieldsFormat format = new FieldsFormat(documents("qid", "docs[].text", "docs[].label", "docs[].id"));
        QueryRecord r = one(format, """
                {"qid": "train-0", "query": "how are glacier caves formed ?", "has_positive": true,
                 "docs": [{"id": "train-0-0", "title": "Glacier cave", "text": "A glacier cave on a glacier .", "label": 0},
                          {"id": "train-0-1", "title": "Glacier cave", "text": "A glacier cave is a cave formed within the ice of a glacier .", "label": 1}]}""");
        assertEquals("train-0", r.id());
        assertEquals("how are glacier caves formed ?", r.query());
        assertEquals(List.of("train-0-0|A glacier cave on a glacier .|0",
                "train-0-1|A glacier cave is a cave formed within the ice of a glacier .|1"), show(r));
        assertEquals(1, r.positives().size());
    }

    @Test
    void missingIdsAreGeneratedPerQueryAndIndex() {
        FieldsFormat format = new FieldsFormat(documents("qid", "docs[].text", "docs[].label", "docs[].id"));
        QueryRecord r = one(format, "{\"qid\": 3, \"query\": \"q\", \"docs\": [{\"text\": \"a\", \"label\": 0, \"id\": \"X\"}, {\"text\": \"b\", \"label\": 2}]}");
        assertEquals(List.of("X|a|0", "3#1|b|2"), show(r));
        QueryRecord noQid = one(format, "{\"query\": \"q\", \"docs\": [{\"text\": \"a\", \"label\": true}]}");
        assertEquals(List.of("train.jsonl:7#0|a|1"), show(noQid));
    }

    @Test
    void thresholdKeepsGradedLabelsAboveItAndZeroesTheRest() {
        FieldsFormat format = new FieldsFormat(new FieldsFormat.Config("q.text", "q.id", "task", null, null,
                "cands[].body", "cands[].grade", null, "cands[].teacher", null, null, 1));
        QueryRecord r = one(format, """
                {"q": {"text": "query", "id": "Q"}, "task": "search",
                 "cands": [{"body": "a", "grade": 3, "teacher": 2.5}, {"body": "b", "grade": 1, "teacher": -1}, {"body": "c", "grade": 0}]}""");
        assertEquals("Q", r.id());
        assertEquals("search", r.instruction());
        assertEquals(List.of("Q#0|a|3|2.5", "Q#1|b|0|-1", "Q#2|c|0"), show(r));
    }

    @Test
    void positivesAndNegativesFromListsOfStringsOrObjects() {
        FieldsFormat format = new FieldsFormat(new FieldsFormat.Config("question", null, null, "answers",
                "wrong[].text", null, null, null, null, null, "wrong[].score", 0));
        QueryRecord r = one(format, """
                {"question": "q", "answers": ["p1", "p2"], "wrong": [{"text": "n1", "score": 0.5}, {"text": "n2"}]}""");
        assertNull(r.instruction());
        assertEquals(List.of("train.jsonl:7#0|p1|1", "train.jsonl:7#1|p2|1", "train.jsonl:7#2|n1|0|0.5",
                "train.jsonl:7#3|n2|0"), show(r));
        QueryRecord noNegatives = one(format, "{\"question\": \"q\", \"answers\": \"only\"}");
        assertEquals(List.of("train.jsonl:7#0|only|1"), show(noNegatives));
    }

    @Test
    void rowErrorsNameThePlace() {
        FieldsFormat format = new FieldsFormat(documents("qid", "docs[].text", "docs[].label", "docs[].id"));
        fails(format, "{\"qid\": 1, \"docs\": []}",
                "row has no 'query' field (path 'query'); fields present: qid, docs");
        fails(format, "{\"query\": \"q\", \"docs\": [{\"text\": \"a\", \"label\": 1}, {\"text\": \"b\"}]}",
                "'docs[1]' has no 'label' field (path 'docs[].label'); fields present: text");
        fails(format, "{\"query\": \"q\", \"docs\": [{\"text\": 5, \"label\": 1}]}",
                "'docs[0].text' is a number; expected a string or an object with 'text'");
        fails(format, "{\"query\": \"q\", \"docs\": [{\"text\": \"a\", \"label\": {\"v\": 1}}]}",
                "'docs[0].label' is an object; expected a number label (or true/false)");
        fails(format, "{\"query\": \"q\", \"docs\": {\"text\": \"a\"}}", "'docs' is an object; expected an array");
        fails(format, "{\"query\": [\"q\"], \"docs\": []}", "'query' is an array; expected a string (the query)");
        FieldsFormat misaligned = new FieldsFormat(documents(null, "texts", "labels", null));
        fails(misaligned, "{\"query\": \"q\", \"texts\": [\"a\", \"b\"], \"labels\": [1]}",
                "'labels' gives 1 values but 'texts' gives 2");
    }

    @Test
    void mappingErrorsNameTheRecipeKey() {
        UserException e = assertThrows(UserException.class,
                () -> new FieldsFormat(documents("qid", "docs[.text", "docs[].label", null)));
        assertEquals("format fields: documents: 'docs[.text' is not a valid path: '[' at position 5 is not closed"
                + " (paths look like a.b, a[].b, a[0].b)", e.getMessage());
        assertEquals(List.of("documents needs labels"),
                documents(null, "docs[].text", null, null).validate());
        assertEquals(List.of("give positives (and negatives), or documents with labels"),
                new FieldsFormat.Config("query", null, null, null, null, null, null, null, null, null, null, 0).validate());
        assertEquals(List.of("query: 'q[].text' names several values ([]); it must name one", "negatives needs positives"
                + " (or use documents with labels)", "give positives (and negatives), or documents with labels"),
                reorder(new FieldsFormat.Config("q[].text", null, null, null, "neg", null, null, null, null, null, null, 0).validate()));
        assertEquals(List.of("doc_ids needs documents", "scores needs documents", "negative_scores needs negatives"),
                new FieldsFormat.Config("query", null, null, "pos", null, null, null, "ids", "s", null, "ns", 0).validate());
    }

    private static List<String> reorder(List<String> problems) {
        // path problems come first, then the combination rules in their fixed order
        return List.of(problems.get(0), problems.get(2), problems.get(1));
    }
}
