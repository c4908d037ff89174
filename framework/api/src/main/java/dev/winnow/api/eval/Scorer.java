package dev.winnow.api.eval;

import dev.winnow.api.text.TemplateInput;
import java.util.List;

/** Scores (query, document) pairs with the model under evaluation; one score per input, in input order. */
@FunctionalInterface
public interface Scorer {
    float[] score(List<TemplateInput> pairs);
}
