package dev.winnow.core.data;

import dev.winnow.api.UserException;
import dev.winnow.api.data.QueryRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Carves an evaluation split from training records when the recipe gives no eval data ({@code split_ratio}).
 * Records sharing the same query text (and instruction) stay on one side, so the eval split never sees a query
 * that training saw. Both sides keep the records' original order; which queries go to eval depends only on the
 * seed and the data.
 */
public final class Splitter {
    /** The two sides of a split. */
    public record Split(List<QueryRecord> train, List<QueryRecord> eval) {
        public Split {
            train = List.copyOf(train);
            eval = List.copyOf(eval);
        }
    }

    private Splitter() {}

    /**
     * Splits off {@code ceil(ratio * distinct queries)} queries for evaluation (as Hugging Face's
     * {@code train_test_split} rounds).
     *
     * @param ratio in {@code [0, 1)}; 0 gives an empty eval side
     * @throws UserException when the ratio is out of range or leaves one side empty
     */
    public static Split split(List<QueryRecord> records, double ratio, long seed) {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new UserException("split_ratio must be at least 0 and below 1, got " + ratio);
        }
        if (ratio == 0) {
            return new Split(records, List.of());
        }
        Map<String, List<Integer>> units = new LinkedHashMap<>();
        for (int i = 0; i < records.size(); i++) {
            QueryRecord r = records.get(i);
            String key = (r.instruction() == null ? "" : r.instruction()) + '\u0000' + r.query();
            units.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        int evalUnits = (int) Math.ceil(ratio * units.size());
        if (evalUnits >= units.size()) {
            throw new UserException("split_ratio " + ratio + " of " + units.size()
                    + " distinct queries leaves nothing to train on; lower it or give eval data");
        }
        List<List<Integer>> shuffled = new ArrayList<>(units.values());
        Grouper.shuffle(shuffled, Grouper.random(seed, 0, 0x5b1175L));
        boolean[] toEval = new boolean[records.size()];
        for (int u = 0; u < evalUnits; u++) {
            for (int i : shuffled.get(u)) {
                toEval[i] = true;
            }
        }
        List<QueryRecord> train = new ArrayList<>();
        List<QueryRecord> eval = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            (toEval[i] ? eval : train).add(records.get(i));
        }
        return new Split(train, eval);
    }
}
