package dev.winnow.formats;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import java.util.List;
import java.util.Map;

/**
 * MTEB reranking rows, also read by ms-swift's {@code MTEBRerankPreprocessor}: {@code {query, positive,
 * negative}}, where positive and negative are a string or an array of strings (or of objects with {@code text}
 * and maybe {@code id}). {@code positive} is required (it may be empty); {@code negative} may be absent.
 */
public final class MtebFormat implements DatasetFormat {
    /** Options of the {@code mteb} format. */
    @Doc("MTEB / ms-swift reranker rows {query, positive[], negative[]}")
    public record Config(
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField) {}

    private final Config config;

    public MtebFormat(Config config) {
        this.config = config;
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        String query = Rows.query(row, "query");
        if (!row.containsKey("positive")) {
            throw Rows.missing(row, "", "positive", "string or array");
        }
        String id = Rows.queryId(Rows.optionalId(row, config.idField()), origin);
        Candidates candidates = new Candidates(id);
        candidates.addAll(Rows.docs(row.get("positive"), "positive"), 1);
        if (row.get("negative") != null) {
            candidates.addAll(Rows.docs(row.get("negative"), "negative"), 0);
        }
        return List.of(new QueryRecord(id, query, candidates.list(), null, origin));
    }
}
