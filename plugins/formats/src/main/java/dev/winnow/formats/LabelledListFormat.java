package dev.winnow.formats;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Labelled lists, the shape of WikiQA and of most evaluation sets: {@code {qid, query, docs: [{id, text,
 * label}]}}, field names configurable. A label above {@code positive_threshold} is a positive and keeps its graded
 * value (for nDCG); any other becomes 0. Missing document ids become {@code <qid>#<index>}.
 */
public final class LabelledListFormat implements DatasetFormat {
    /** Options of the {@code labelled_list} format. */
    @Doc("labelled lists {qid, query, docs: [{id, text, label}]}")
    public record Config(
            @Doc("field holding the query") @Default("query") String queryField,
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField,
            @Doc("field holding the array of documents") @Default("docs") String docsField,
            @Doc("field of a document holding its text") @Default("text") String textField,
            @Doc("field of a document holding its label") @Default("label") String labelField,
            @Doc("field of a document holding its id") @Default("id") String docIdField,
            @Doc("field holding a per-row instruction, if any") @Nullable String instructionField,
            @Doc("a label above this is a positive; any other label becomes 0") @Default("0")
                    double positiveThreshold) {
        FieldsFormat.Config asFields() {
            String docs = docsField + "[].";
            return new FieldsFormat.Config(queryField, idField, instructionField, null, null, docs + textField,
                    docs + labelField, docs + docIdField, null, null, null, positiveThreshold);
        }
    }

    private final FieldsFormat fields;

    public LabelledListFormat(Config config) {
        this.fields = new FieldsFormat(config.asFields(), "labelled_list");
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        return fields.convert(row, origin);
    }
}
