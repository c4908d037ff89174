package dev.winnow.api.eval;

import dev.winnow.api.data.QueryRecord;
import java.util.List;

/** Evaluates a model, seen through its {@link Scorer}, on query records. */
@FunctionalInterface
public interface Evaluator {
    EvalResult evaluate(List<QueryRecord> records, Scorer scorer);
}
