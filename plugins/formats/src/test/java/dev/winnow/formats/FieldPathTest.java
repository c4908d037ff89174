package dev.winnow.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.data.RowException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldPathTest {
    private final Map<String, Object> row = TestRows.row("""
            {"query": "q", "meta": {"qid": 5}, "docs": [{"text": "a", "label": 1}, {"text": "b"}],
             "groups": [{"docs": ["x", "y"]}, {"docs": ["z"]}]}""");

    private static List<String> show(List<FieldPath.Located> found) {
        return found.stream().map(l -> l.where() + "=" + l.value()).toList();
    }

    @Test
    void findsValuesWithTheirPlaces() {
        assertEquals(List.of("query=q"), show(FieldPath.parse("query").find(row, true)));
        assertEquals(List.of("meta.qid=5"), show(FieldPath.parse("meta.qid").find(row, true)));
        assertEquals(List.of("docs[0].text=a", "docs[1].text=b"), show(FieldPath.parse("docs[].text").find(row, true)));
        assertEquals(List.of("docs[1].text=b"), show(FieldPath.parse("docs[1].text").find(row, true)));
        assertEquals(List.of("groups[0].docs[0]=x", "groups[0].docs[1]=y", "groups[1].docs[0]=z"),
                show(FieldPath.parse("groups[].docs[]").find(row, true)));
        assertTrue(FieldPath.parse("docs[].text").iterates());
        assertFalse(FieldPath.parse("docs[0].text").iterates());
    }

    @Test
    void missingValuesAreErrorsOrNullsThatKeepAlignment() {
        RowException e = assertThrows(RowException.class, () -> FieldPath.parse("docs[].label").find(row, true));
        assertEquals("'docs[1]' has no 'label' field (path 'docs[].label'); fields present: text", e.getMessage());
        assertEquals(List.of("docs[0].label=1", "docs[1].label=null"),
                show(FieldPath.parse("docs[].label").find(row, false)));
        assertEquals(List.of("nothing.at=null"), show(FieldPath.parse("nothing.at").find(row, false)));
        assertEquals(List.of(), FieldPath.parse("nothing[].at").find(row, false));
        RowException index = assertThrows(RowException.class, () -> FieldPath.parse("docs[5]").find(row, true));
        assertEquals("'docs' has 2 elements; there is no docs[5]", index.getMessage());
        RowException type = assertThrows(RowException.class, () -> FieldPath.parse("query[]").find(row, true));
        assertEquals("'query' is a string; expected an array", type.getMessage());
        RowException field = assertThrows(RowException.class, () -> FieldPath.parse("query.text").find(row, true));
        assertEquals("'query' is a string; expected an object with 'text'", field.getMessage());
        RowException top = assertThrows(RowException.class, () -> FieldPath.parse("question").find(row, true));
        assertEquals("row has no 'question' field (path 'question'); fields present: query, meta, docs, groups",
                top.getMessage());
    }

    @Test
    void syntaxErrorsSayWhere() {
        for (String[] c : new String[][] {
            {"", "the path is empty"},
            {"docs[.text", "'[' at position 5 is not closed"},
            {"docs[x.text]", "'[x.text]' at position 5 must be [] or [n] with n a non-negative integer"},
            {"docs[", "'[' at position 5 is not closed"},
            {"docs[x].text", "'[x]' at position 5 must be [] or [n] with n a non-negative integer"},
            {"docs[-1]", "'[-1]' at position 5 must be [] or [n] with n a non-negative integer"},
            {"a..b", "expected a field name at position 3"},
            {".a", "expected a field name at position 1"},
            {"a.", "the path ends with '.'"},
            {"a]", "unexpected ']' at position 2"},
            {"docs[]x", "unexpected 'x' at position 7"},
        }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FieldPath.parse(c[0]),
                    Arrays.toString(c));
            assertEquals(c[1], e.getMessage(), c[0]);
        }
    }
}
