package dev.winnow.formats;

import static dev.winnow.formats.TestRows.fails;
import static dev.winnow.formats.TestRows.one;
import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.winnow.api.data.QueryRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlagEmbeddingFormatTest {
    private final FlagEmbeddingFormat format = new FlagEmbeddingFormat(new FlagEmbeddingFormat.Config("qid", true, false));

    @Test
    void teacherScoresAndPrompt() {
        QueryRecord r = one(format, """
                {"query": "q", "pos": ["p"], "neg": ["n0", "n1"], "pos_scores": [96.5], "neg_scores": [90, -1.25],
                 "prompt": "Given a query A and a passage B", "type": "normal"}""");
        assertEquals("Given a query A and a passage B", r.instruction());
        assertEquals(List.of("train.jsonl:7#0|p|1|96.5", "train.jsonl:7#1|n0|0|90", "train.jsonl:7#2|n1|0|-1.25"),
                show(r));
    }

    @Test
    void withoutScoresNegativesOrWhenScoresAreOff() {
        QueryRecord r = one(format, "{\"query\": \"q\", \"pos\": [\"p1\", \"p2\"]}");
        assertNull(r.instruction());
        assertEquals(List.of("train.jsonl:7#0|p1|1", "train.jsonl:7#1|p2|1"), show(r));
        FlagEmbeddingFormat noScores = new FlagEmbeddingFormat(new FlagEmbeddingFormat.Config("qid", false, false));
        assertEquals(List.of("train.jsonl:7#0|p|1", "train.jsonl:7#1|n|0"),
                show(one(noScores, "{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"pos_scores\": [1], \"neg_scores\": [2]}")));
    }

    @Test
    void errorsNameTheField() {
        fails(format, "{\"query\": \"q\", \"neg\": [\"n\"]}",
                "row has no 'pos' field (array of strings expected); fields present: query, neg");
        fails(format, "{\"query\": \"q\", \"pos\": \"p\"}", "'pos' is a string; expected an array of strings");
        fails(format, "{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"a\", \"b\"], \"neg_scores\": [1]}",
                "'neg_scores' has 1 values but 'neg' has 2 texts");
        fails(format, "{\"query\": \"q\", \"pos\": [\"p\"], \"pos_scores\": [\"high\"]}",
                "'pos_scores[0]' is a string; expected a finite number");
        fails(format, "{\"query\": \"q\", \"pos\": [\"p\"], \"query_prompt\": \"x\"}",
                "'query_prompt' (a per-row instruction override for encoder rerankers) is not supported;"
                        + " put the instruction in 'prompt' or in the template");
        FlagEmbeddingFormat strict = new FlagEmbeddingFormat(new FlagEmbeddingFormat.Config("qid", true, true));
        fails(strict, "{\"query\": \"q\", \"pos\": [\"p\"], \"pos_scores\": [1]}",
                "row has no 'neg_scores' field (array of numbers (require_teacher_scores is on) expected);"
                        + " fields present: query, pos, pos_scores");
    }
}
