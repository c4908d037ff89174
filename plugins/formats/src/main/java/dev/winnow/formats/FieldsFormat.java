package dev.winnow.formats;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.data.TeacherScoresSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A mapping declared in the recipe from rows of any shape to query records, so that data trains without a
 * conversion script. Paths use {@link FieldPath}: {@code a.b}, {@code a[].b}, {@code a[0]}. Candidates come from
 * {@code positives}/{@code negatives} (arrays of texts), or from {@code documents} with aligned {@code labels}
 * (a label above {@code positive_threshold} is a positive), or both. WikiQA's
 * {@code {qid, query, docs: [{id, text, label}]}} reads with
 *
 * <pre>{@code
 * format: {type: fields, id: qid, documents: "docs[].text", labels: "docs[].label", doc_ids: "docs[].id"}
 * }</pre>
 */
public final class FieldsFormat implements DatasetFormat {
    /** Options of the {@code fields} format: the paths of each piece of a record in a row. */
    @Doc("a declared mapping from rows of any shape (paths like a.b, docs[].text, pos[0])")
    public record Config(
            @Doc("path of the query text") @Default("query") String query,
            @Doc("path of the query id; rows without it get <file>:<line>") @Nullable String id,
            @Doc("path of a per-row instruction (prompt)") @Nullable String instruction,
            @Doc("path of the positive texts, e.g. pos or pos[].text") @Nullable String positives,
            @Doc("path of the negative texts, e.g. neg or neg[].text") @Nullable String negatives,
            @Doc("path of every candidate's text, e.g. docs[].text (needs labels)") @Nullable String documents,
            @Doc("path of every candidate's label, aligned with documents, e.g. docs[].label") @Nullable String labels,
            @Doc("path of every candidate's id, aligned with documents; missing ids become <query id>#<index>")
                    @Nullable String docIds,
            @Doc("path of teacher scores aligned with documents") @Nullable String scores,
            @Doc("path of teacher scores aligned with positives") @Nullable String positiveScores,
            @Doc("path of teacher scores aligned with negatives") @Nullable String negativeScores,
            @Doc("a label above this is a positive and kept as its graded label; any other label becomes 0")
                    @Default("0") double positiveThreshold) implements TeacherScoresSource {
        @Override
        public boolean teacherScores() {
            return scores != null || positiveScores != null || negativeScores != null;
        }

        @Override
        public String teacherScoresKeys() {
            return "scores, positive_scores or negative_scores";
        }

        /** What is wrong with this mapping, each item naming its recipe key; empty when it is usable. */
        public List<String> validate() {
            List<String> problems = new ArrayList<>();
            Map<String, @Nullable String> paths = new LinkedHashMap<>();
            paths.put("query", query);
            paths.put("id", id);
            paths.put("instruction", instruction);
            paths.put("positives", positives);
            paths.put("negatives", negatives);
            paths.put("documents", documents);
            paths.put("labels", labels);
            paths.put("doc_ids", docIds);
            paths.put("scores", scores);
            paths.put("positive_scores", positiveScores);
            paths.put("negative_scores", negativeScores);
            paths.forEach((key, path) -> {
                if (path == null) {
                    return;
                }
                try {
                    FieldPath parsed = FieldPath.parse(path);
                    if (parsed.iterates() && List.of("query", "id", "instruction").contains(key)) {
                        problems.add(key + ": '" + path + "' names several values ([]); it must name one");
                    }
                } catch (IllegalArgumentException e) {
                    problems.add(key + ": '" + path + "' is not a valid path: " + e.getMessage()
                            + " (paths look like a.b, a[].b, a[0].b)");
                }
            });
            if (positives == null && documents == null) {
                problems.add("give positives (and negatives), or documents with labels");
            }
            if ((documents == null) != (labels == null)) {
                problems.add(documents == null ? "labels needs documents" : "documents needs labels");
            }
            if (documents == null && docIds != null) {
                problems.add("doc_ids needs documents");
            }
            if (documents == null && scores != null) {
                problems.add("scores needs documents");
            }
            if (positives == null && negatives != null) {
                problems.add("negatives needs positives (or use documents with labels)");
            }
            if (positives == null && positiveScores != null) {
                problems.add("positive_scores needs positives");
            }
            if (negatives == null && negativeScores != null) {
                problems.add("negative_scores needs negatives");
            }
            if (!Double.isFinite(positiveThreshold)) {
                problems.add("positive_threshold must be a finite number");
            }
            return problems;
        }
    }

    private final Config config;
    private final FieldPath query;
    private final @Nullable FieldPath id;
    private final @Nullable FieldPath instruction;
    private final @Nullable FieldPath positives;
    private final @Nullable FieldPath negatives;
    private final @Nullable FieldPath documents;
    private final @Nullable FieldPath labels;
    private final @Nullable FieldPath docIds;
    private final @Nullable FieldPath scores;
    private final @Nullable FieldPath positiveScores;
    private final @Nullable FieldPath negativeScores;

    /** @throws UserException listing every problem {@link Config#validate()} finds */
    public FieldsFormat(Config config) {
        this(config, "fields");
    }

    FieldsFormat(Config config, String formatName) {
        List<String> problems = config.validate();
        if (!problems.isEmpty()) {
            throw new UserException("format " + formatName + ": " + String.join("; ", problems));
        }
        this.config = config;
        this.query = FieldPath.parse(config.query());
        this.id = parse(config.id());
        this.instruction = parse(config.instruction());
        this.positives = parse(config.positives());
        this.negatives = parse(config.negatives());
        this.documents = parse(config.documents());
        this.labels = parse(config.labels());
        this.docIds = parse(config.docIds());
        this.scores = parse(config.scores());
        this.positiveScores = parse(config.positiveScores());
        this.negativeScores = parse(config.negativeScores());
    }

    private static @Nullable FieldPath parse(@Nullable String path) {
        return path == null ? null : FieldPath.parse(path);
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        FieldPath.Located q = query.find(row, true).get(0);
        if (!(q.value() instanceof String queryText)) {
            throw Rows.wrongType(q.where(), q.value(), "a string (the query)");
        }
        if (queryText.isBlank()) {
            throw new RowException("'" + q.where() + "' is empty");
        }
        String queryId = Rows.queryId(id == null ? null : one(id, row, true), origin);
        String instructionText = instruction == null ? null : one(instruction, row, false);
        Candidates candidates = new Candidates(queryId);
        if (documents != null && labels != null) {
            List<FieldPath.Located> texts = flatten(documents, documents.find(row, true));
            List<FieldPath.Located> labelValues = aligned(labels, row, true, texts.size(), documents);
            List<FieldPath.Located> ids = docIds == null ? null : aligned(docIds, row, false, texts.size(), documents);
            List<FieldPath.Located> teacher = scores == null ? null : aligned(scores, row, false, texts.size(), documents);
            for (int i = 0; i < texts.size(); i++) {
                Rows.Doc doc = Rows.doc(texts.get(i).value(), texts.get(i).where());
                String docId = ids == null ? null : Rows.id(ids.get(i).value(), ids.get(i).where());
                double label = Rows.label(labelValues.get(i).value(), labelValues.get(i).where());
                candidates.add(new Rows.Doc(doc.text(), docId != null ? docId : doc.id()),
                        label > config.positiveThreshold() ? label : 0, score(teacher, i));
            }
        }
        if (positives != null) {
            addTexts(candidates, row, positives, true, positiveScores, 1);
        }
        if (negatives != null) {
            addTexts(candidates, row, negatives, false, negativeScores, 0);
        }
        return List.of(new QueryRecord(queryId, queryText, candidates.list(), instructionText, origin));
    }

    private static void addTexts(Candidates candidates, Map<String, ?> row, FieldPath path, boolean required,
            @Nullable FieldPath scorePath, double label) {
        List<FieldPath.Located> texts = flatten(path, path.find(row, required));
        texts.removeIf(t -> t.value() == null && !required);
        List<FieldPath.Located> teacher = scorePath == null ? null : aligned(scorePath, row, false, texts.size(), path);
        for (int i = 0; i < texts.size(); i++) {
            candidates.add(Rows.doc(texts.get(i).value(), texts.get(i).where()), label, score(teacher, i));
        }
    }

    private static @Nullable Double score(@Nullable List<FieldPath.Located> teacher, int i) {
        if (teacher == null || teacher.get(i).value() == null) {
            return null;
        }
        return Rows.number(teacher.get(i).value(), teacher.get(i).where());
    }

    /** The values of {@code path}, which must be as many as {@code count}; null when optional and absent. */
    private static @Nullable List<FieldPath.Located> aligned(
            FieldPath path, Map<String, ?> row, boolean required, int count, FieldPath alignedWith) {
        List<FieldPath.Located> values = flatten(path, path.find(row, required));
        if (!required && values.stream().allMatch(v -> v.value() == null)) {
            return null;
        }
        if (values.size() != count) {
            throw new RowException("'" + path + "' gives " + values.size() + " values but '" + alignedWith
                    + "' gives " + count);
        }
        return values;
    }

    /** The one value of a single-valued path as an id or string; null when optional and absent. */
    private static @Nullable String one(FieldPath path, Map<String, ?> row, boolean idLike) {
        FieldPath.Located found = path.find(row, false).get(0);
        if (idLike) {
            return Rows.id(found.value(), found.where());
        }
        if (found.value() == null || found.value() instanceof String) {
            return (String) found.value();
        }
        throw Rows.wrongType(found.where(), found.value(), "a string");
    }

    /**
     * Expands a single value that is an array into its elements, so {@code pos} and {@code pos[]} read alike. A
     * path that iterates ({@code docs[].label}) already names its values one by one: an array there is a value of
     * the wrong type, not a list to expand.
     */
    private static List<FieldPath.Located> flatten(FieldPath path, List<FieldPath.Located> values) {
        if (path.iterates()) {
            return new ArrayList<>(values);
        }
        List<FieldPath.Located> out = new ArrayList<>(values.size());
        for (FieldPath.Located v : values) {
            if (v.value() instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    out.add(new FieldPath.Located(list.get(i), v.where() + "[" + i + "]"));
                }
            } else {
                out.add(v);
            }
        }
        return out;
    }
}
