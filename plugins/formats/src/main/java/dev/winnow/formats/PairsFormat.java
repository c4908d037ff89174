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
 * Labelled pairs, one per row: {@code {query, document, label}} with configurable field names. Each row becomes
 * a record with one candidate whose label is kept as given (a 0/1 relevance, a graded label, or a similarity for
 * pair losses); {@code true}/{@code false} read as 1/0.
 */
public final class PairsFormat implements DatasetFormat {
    /** Options of the {@code pairs} format. */
    @Doc("labelled pairs {query, document, label}, one per row")
    public record Config(
            @Doc("field holding the query") @Default("query") String queryField,
            @Doc("field holding the document text") @Default("document") String documentField,
            @Doc("field holding the label (number or boolean)") @Default("label") String labelField,
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField,
            @Doc("field holding the document id; rows without it get <file>:<line>#0") @Default("doc_id")
                    String docIdField,
            @Doc("field holding a per-row instruction, if any") @Nullable String instructionField) {}

    private final Config config;

    public PairsFormat(Config config) {
        this.config = config;
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        String query = Rows.query(row, config.queryField());
        String document = Rows.string(row, config.documentField());
        if (!row.containsKey(config.labelField())) {
            throw Rows.missing(row, "", config.labelField(), "number");
        }
        double label = Rows.label(row.get(config.labelField()), config.labelField());
        String id = Rows.queryId(Rows.optionalId(row, config.idField()), origin);
        // Rows of one query share its id, so a generated document id names the row: <file>:<line>#0.
        Candidates candidates = new Candidates(Rows.queryId(null, origin));
        candidates.add(new Rows.Doc(document, Rows.optionalId(row, config.docIdField())), label, null);
        String instruction = config.instructionField() == null
                ? null
                : Rows.optionalString(row, config.instructionField());
        return List.of(new QueryRecord(id, query, candidates.list(), instruction, origin));
    }
}
