package dev.winnow.formats;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import java.util.List;
import java.util.Map;

/**
 * ms-swift's legacy (v3.5 to v3.8) rows, which newer ms-swift silently stops reading as reranker data:
 * {@code {query, response, rejected_response[], label?, system?}}. {@code response} is the positive,
 * {@code rejected_response} (a string or an array) the negatives; an embedding row's {@code label} becomes the
 * positive's label, so a labelled pair stays a pair; {@code system} becomes the instruction.
 */
public final class SwiftLegacyFormat implements DatasetFormat {
    /** Options of the {@code swift_legacy} format. */
    @Doc("legacy ms-swift rows {query, response, rejected_response[], label?}")
    public record Config(
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField) {}

    private final Config config;

    public SwiftLegacyFormat(Config config) {
        this.config = config;
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        String query = Rows.query(row, "query");
        String response = Rows.string(row, "response");
        String id = Rows.queryId(Rows.optionalId(row, config.idField()), origin);
        Candidates candidates = new Candidates(id);
        double label = row.get("label") == null ? 1 : Rows.label(row.get("label"), "label");
        candidates.add(new Rows.Doc(response, null), label, null);
        if (row.get("rejected_response") != null) {
            candidates.addAll(Rows.docs(row.get("rejected_response"), "rejected_response"), 0);
        }
        return List.of(new QueryRecord(id, query, candidates.list(), Rows.optionalString(row, "system"), origin));
    }
}
