package dev.winnow.api.data;

/**
 * Implemented by a dataset format's config record to say, before any row is read, whether the rows it converts carry
 * teacher scores ({@link Candidate#teacherScore()}). A recipe whose loss learns from teacher scores
 * ({@link dev.winnow.api.loss.DistillationLoss}) on a format that supplies none is refused at validation.
 */
public interface TeacherScoresSource {
    /** Whether this configuration reads teacher scores from the rows. */
    boolean teacherScores();

    /** The format's recipe keys that supply teacher scores, for messages (e.g. {@code teacher_scores}). */
    String teacherScoresKeys();
}
