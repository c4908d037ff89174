package dev.winnow.formats;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The formats that can carry teacher scores say so before any row is read (validation of distillation losses). */
class TeacherScoresSourceTest {
    static FieldsFormat.Config fields(String scores, String positiveScores, String negativeScores) {
        return new FieldsFormat.Config("query", null, null, "pos", "neg", null, null, null, scores, positiveScores, negativeScores, 0);
    }

    @Test
    void flagembeddingReadsThemUnlessTurnedOff() {
        assertTrue(new FlagEmbeddingFormat.Config("qid", true, false).teacherScores());
        assertFalse(new FlagEmbeddingFormat.Config("qid", false, false).teacherScores());
    }

    @Test
    void fieldsReadsThemWhenAScorePathIsDeclared() {
        assertFalse(fields(null, null, null).teacherScores());
        assertTrue(fields("docs[].score", null, null).teacherScores());
        assertTrue(fields(null, "pos_scores", null).teacherScores());
        assertTrue(fields(null, null, "neg_scores").teacherScores());
    }
}
