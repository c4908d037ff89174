package dev.winnow.core.data;

import java.util.List;

/**
 * What reading a dataset did, so that nothing is dropped silently: every count here is logged by
 * {@link DatasetReader} and belongs in a run's report.
 *
 * @param files the files read, in order
 * @param rowsRead non-blank rows (lines, or array elements) seen
 * @param records query records kept
 * @param candidates candidate documents in the kept records
 * @param badRowsSkipped rows skipped under {@code on_bad_row: skip}
 * @param firstBadRows the first few skipped rows, each {@code file:line: reason}
 * @param withoutPositive records that had no positive document (kept or not, by {@link #noPositive})
 * @param noPositive the policy applied to them
 * @param firstWithoutPositive the origins ({@code file:line}) of the first few such records
 * @param negativesSameAsPositive negatives removed because their text equals a positive of the same query (a
 *     false negative would teach the model the opposite of the truth)
 * @param mergedRecords records merged into an earlier one with the same query ({@code merge_same_query})
 * @param duplicateCandidates candidates dropped while merging because the query already had them (same id, text
 *     and label)
 */
public record DataReport(
        List<String> files,
        long rowsRead,
        long records,
        long candidates,
        long badRowsSkipped,
        List<String> firstBadRows,
        long withoutPositive,
        NoPositive noPositive,
        List<String> firstWithoutPositive,
        long negativesSameAsPositive,
        long mergedRecords,
        long duplicateCandidates) {
    public DataReport {
        files = List.copyOf(files);
        firstBadRows = List.copyOf(firstBadRows);
        firstWithoutPositive = List.copyOf(firstWithoutPositive);
    }

    /** Records that were dropped for lacking a positive. */
    public long withoutPositiveSkipped() {
        return noPositive == NoPositive.SKIP ? withoutPositive : 0;
    }

    /** One line for logs: {@code 1,200 rows -> 1,180 records (9,400 candidates); 3 bad rows skipped; ...}. */
    public String summary() {
        StringBuilder s = new StringBuilder();
        s.append(rowsRead).append(" rows from ").append(files.size()).append(files.size() == 1 ? " file" : " files")
                .append(" -> ").append(records).append(" query records (").append(candidates).append(" candidates)");
        if (badRowsSkipped > 0) {
            s.append("; ").append(badRowsSkipped).append(" bad rows skipped (first: ")
                    .append(firstBadRows.get(0)).append(')');
        }
        if (withoutPositive > 0) {
            s.append("; ").append(withoutPositive).append(" without a positive (")
                    .append(noPositive == NoPositive.SKIP ? "skipped" : "kept").append(')');
        }
        if (negativesSameAsPositive > 0) {
            s.append("; ").append(negativesSameAsPositive).append(" negatives removed as identical to a positive");
        }
        if (mergedRecords > 0) {
            s.append("; ").append(mergedRecords).append(" rows merged into an earlier row with the same query");
        }
        if (duplicateCandidates > 0) {
            s.append("; ").append(duplicateCandidates).append(" duplicate candidates dropped while merging");
        }
        return s.toString();
    }
}
