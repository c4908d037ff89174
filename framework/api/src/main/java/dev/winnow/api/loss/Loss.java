package dev.winnow.api.loss;

/** A training loss. Its sub-interface says what it consumes: {@link RankingLoss} for reranker scores. */
public interface Loss {}
