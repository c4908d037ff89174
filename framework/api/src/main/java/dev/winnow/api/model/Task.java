package dev.winnow.api.model;

import java.util.Arrays;
import java.util.Optional;

/** What a recipe trains: the {@code task} key. */
public enum Task {
    /** A cross-encoder scoring (query, document) with a classification head. */
    RERANKER("reranker"),
    /** A causal LM scoring relevance as logit(yes) - logit(no) at the last token. */
    GENERATIVE_RERANKER("generative_reranker"),
    /** A bi-encoder producing pooled embeddings. */
    EMBEDDING("embedding");

    private final String id;

    Task(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<Task> fromId(String id) {
        return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst();
    }
}
