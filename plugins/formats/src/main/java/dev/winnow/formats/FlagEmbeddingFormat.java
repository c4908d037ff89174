package dev.winnow.formats;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.data.TeacherScoresSource;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * FlagEmbedding's training rows: {@code {query, pos[], neg[], pos_scores[], neg_scores[], prompt}}. Teacher
 * scores go to {@code Candidate.teacherScore} (raw, as FlagEmbedding's scripts write them); {@code prompt} becomes
 * the record's instruction. {@code neg} may be absent (embedding data trained with in-batch negatives only).
 */
public final class FlagEmbeddingFormat implements DatasetFormat {
    /** Options of the {@code flagembedding} format. */
    @Doc("FlagEmbedding rows {query, pos[], neg[], pos_scores[], neg_scores[], prompt}")
    public record Config(
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField,
            @Doc("read pos_scores/neg_scores as teacher scores when present") @Default("true") boolean teacherScores,
            @Doc("require pos_scores and neg_scores on every row (for distillation)") @Default("false")
                    boolean requireTeacherScores) implements TeacherScoresSource {
        @Override
        public String teacherScoresKeys() {
            return "teacher_scores (pos_scores / neg_scores in the rows)";
        }
    }

    private final Config config;

    public FlagEmbeddingFormat(Config config) {
        this.config = config;
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        String query = Rows.query(row, "query");
        if (!row.containsKey("pos")) {
            throw Rows.missing(row, "", "pos", "array of strings");
        }
        for (String unsupported : List.of("query_prompt", "passage_prompt")) {
            if (row.get(unsupported) != null) {
                throw new RowException("'" + unsupported + "' (a per-row instruction override for encoder"
                        + " rerankers) is not supported; put the instruction in 'prompt' or in the template");
            }
        }
        List<Rows.Doc> pos = list(row, "pos");
        List<Rows.Doc> neg = row.get("neg") == null ? List.of() : list(row, "neg");
        List<Double> posScores = scores(row, "pos_scores", "pos", pos.size());
        List<Double> negScores = scores(row, "neg_scores", "neg", neg.size());
        String id = Rows.queryId(Rows.optionalId(row, config.idField()), origin);
        Candidates candidates = new Candidates(id);
        for (int i = 0; i < pos.size(); i++) {
            candidates.add(pos.get(i), 1, posScores == null ? null : posScores.get(i));
        }
        for (int i = 0; i < neg.size(); i++) {
            candidates.add(neg.get(i), 0, negScores == null ? null : negScores.get(i));
        }
        return List.of(new QueryRecord(id, query, candidates.list(), Rows.optionalString(row, "prompt"), origin));
    }

    private static List<Rows.Doc> list(Map<String, ?> row, String field) {
        if (!(row.get(field) instanceof List<?>)) {
            throw Rows.wrongType(field, row.get(field), "an array of strings");
        }
        return Rows.docs(row.get(field), field);
    }

    private @Nullable List<Double> scores(Map<String, ?> row, String field, String texts, int count) {
        if (row.get(field) == null) {
            if (config.requireTeacherScores()) {
                throw Rows.missing(row, "", field, "array of numbers (require_teacher_scores is on)");
            }
            return null;
        }
        if (!config.teacherScores()) {
            return null;
        }
        List<Double> scores = Rows.numbers(row.get(field), field);
        if (scores.size() != count) {
            throw new RowException("'" + field + "' has " + scores.size() + " values but '" + texts + "' has "
                    + count + " texts");
        }
        return scores;
    }
}
