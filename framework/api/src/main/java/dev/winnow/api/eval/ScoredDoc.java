package dev.winnow.api.eval;

/** A candidate with the model's score and its judged relevance (0 = not relevant; graded labels allowed). */
public record ScoredDoc(String docId, double score, double relevance) {
    public boolean relevant() {
        return relevance > 0;
    }
}
