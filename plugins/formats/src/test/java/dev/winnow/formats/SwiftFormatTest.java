package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class SwiftFormatTest {
    private final SwiftFormat format = new SwiftFormat(new SwiftFormat.Config("qid"));

    @Test
    void rerankerRow() {
        QueryRecord r = one(format, """
                {"messages": [{"role": "system", "content": "Find answers"}, {"role": "user", "content": "first"},
                              {"role": "assistant", "content": "ok"}, {"role": "user", "content": "the query"}],
                 "positive_messages": [[{"role": "assistant", "content": "pos1"}], [{"role": "assistant", "content": "pos2"}]],
                 "negative_messages": [[{"role": "assistant", "content": "neg1"}]]}""");
        assertEquals("the query", r.query());
        assertEquals("Find answers", r.instruction());
        assertEquals(List.of("train.jsonl:7#0|pos1|1", "train.jsonl:7#1|pos2|1", "train.jsonl:7#2|neg1|0"), show(r));
    }

    @Test
    void embeddingRowWithLabelSystemInsideDocumentsAndTextParts() {
        QueryRecord r = one(format, """
                {"qid": "s1", "messages": [{"role": "user", "content": [{"type": "text", "text": "a "}, {"type": "text", "text": "cat"}]}],
                 "positive_messages": [[{"role": "system", "content": "doc instr"}, {"role": "user", "content": "a kitten"}]],
                 "label": 0.8}""");
        assertEquals("s1", r.id());
        assertEquals("a cat", r.query());
        assertEquals("doc instr", r.instruction());
        assertEquals(List.of("s1#0|a kitten|0.8"), show(r));
        QueryRecord noSystem = one(format, """
                {"messages": [{"role": "user", "content": "q"}], "positive_messages": [{"role": "user", "content": "p"}], "negative_messages": []}""");
        assertNull(noSystem.instruction());
        assertEquals(List.of("train.jsonl:7#0|p|1"), show(noSystem));
    }

    @Test
    void errorsNameTheField() {
        fails(format, "{\"query\": \"q\"}",
                "row has no 'messages' field (array of {role, content} expected); fields present: query");
        fails(format, "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}], \"positive_messages\": []}",
                "'messages' has no message with role 'user' (the query)");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}",
                "row has no 'positive_messages' field (array of message arrays expected); fields present: messages");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [[{\"role\": \"user\"}]]}",
                "'positive_messages[0][0]' has no 'content' field (string expected); fields present: role");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [[{\"role\": \"tool\", \"content\": \"x\"}]]}",
                "'positive_messages[0][0].role' is 'tool'; expected system, user or assistant");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": \"p\"}",
                "'positive_messages' is a string; expected an array of message arrays");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [], \"images\": [\"a.png\"]}",
                "'images' holds media; multimodal rows are not supported");
        fails(format, "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"positive_messages\": [[{\"role\": \"system\", \"content\": \"s\"}]]}",
                "'positive_messages[0]' has no user or assistant message (the document)");
    }
}
