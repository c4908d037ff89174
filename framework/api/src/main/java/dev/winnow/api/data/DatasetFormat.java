package dev.winnow.api.data;

import java.util.List;
import java.util.Map;

/** Converts parsed JSON rows (maps, lists, strings, numbers, booleans, nulls) into {@link QueryRecord}s. */
@FunctionalInterface
public interface DatasetFormat {
    /**
     * Converts one row. Usually one record; a format may split a row or return none.
     *
     * @throws RowException when the row does not have the shape this format expects
     */
    List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin);
}
