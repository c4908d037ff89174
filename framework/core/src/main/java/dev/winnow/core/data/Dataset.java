package dev.winnow.core.data;

import dev.winnow.api.data.QueryRecord;
import java.util.List;

/** Query records read into memory, with the report of how they were read. */
public record Dataset(List<QueryRecord> records, DataReport report) {
    public Dataset {
        records = List.copyOf(records);
    }
}
