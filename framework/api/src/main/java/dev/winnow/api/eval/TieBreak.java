package dev.winnow.api.eval;

/**
 * How equal scores are ordered. Never by input order: WikiQA's candidate order alone beats BM25, so an evaluator
 * that kept file order for ties would reward a model that scores everything the same.
 */
public enum TieBreak {
    /** trec_eval's rule: equal scores are ordered by document id, descending. */
    DOC_ID,
    /** The pessimistic case: among equal scores, less relevant documents come first. */
    WORST_CASE
}
