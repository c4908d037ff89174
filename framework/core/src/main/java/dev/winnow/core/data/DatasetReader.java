package dev.winnow.core.data;

import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads data files through a {@link DatasetFormat}: rows are streamed by {@link JsonRows}, converted, checked
 * and counted. A {@link RowException} from the format becomes a bad row at its {@code file:line}.
 *
 * <p>Checks on every record: document ids are unique within the query (evaluation breaks score ties by id), and a
 * negative whose text equals one of the query's positives is removed and counted. Then the {@link NoPositive}
 * policy applies.
 */
public final class DatasetReader {
    /**
     * @param onBadRow malformed or unconvertible rows: error (default) or skip and count
     * @param noPositive queries without a positive: skip (default for training), error, or keep (evaluation)
     */
    public record Options(OnBadRow onBadRow, NoPositive noPositive) {
        /** Errors on bad rows, skips queries without a positive (counted). */
        public static Options training() {
            return new Options(OnBadRow.ERROR, NoPositive.SKIP);
        }

        /** Errors on bad rows, keeps queries without a positive. */
        public static Options evaluation() {
            return new Options(OnBadRow.ERROR, NoPositive.KEEP);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(DatasetReader.class);

    private final DatasetFormat format;
    private final Options options;

    public DatasetReader(DatasetFormat format, Options options) {
        this.format = format;
        this.options = options;
    }

    /** Reads every record into memory. */
    public Dataset readAll(List<Path> files) {
        List<QueryRecord> records = new ArrayList<>();
        DataReport report = read(files, records::add);
        return new Dataset(records, report);
    }

    /** Resolves a recipe path ({@link JsonRows#resolve}) and reads every record into memory. */
    public Dataset readAll(String spec, Path baseDirectory) {
        return readAll(JsonRows.resolve(spec, baseDirectory));
    }

    /** Streams the records to {@code sink}, returning the report once every file is read. */
    public DataReport read(List<Path> files, Consumer<QueryRecord> sink) {
        BadRows badRows = new BadRows(options.onBadRow());
        long[] counts = new long[3]; // records, candidates, negatives removed
        List<String> withoutPositive = new ArrayList<>();
        long[] withoutPositiveCount = new long[1];
        long rowsRead = JsonRows.read(files, badRows, row -> {
            List<QueryRecord> converted;
            try {
                converted = format.convert(row.value(), row.origin());
            } catch (RowException e) {
                badRows.report(row.origin(), e.getMessage());
                return;
            } catch (UserException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new WinnowException(row.origin() + ": the dataset format failed on this row: " + e, e);
            }
            List<QueryRecord> checked = new ArrayList<>(converted.size());
            for (QueryRecord record : converted) {
                String duplicate = duplicateId(record);
                if (duplicate != null) {
                    badRows.report(row.origin(), duplicate);
                    return;
                }
                checked.add(record);
            }
            for (QueryRecord record : checked) {
                QueryRecord cleaned = removeNegativesEqualToPositives(record);
                counts[2] += record.candidates().size() - cleaned.candidates().size();
                if (cleaned.positives().isEmpty()) {
                    withoutPositiveCount[0]++;
                    if (withoutPositive.size() < BadRows.KEPT) {
                        withoutPositive.add(cleaned.origin().toString());
                    }
                    if (options.noPositive() == NoPositive.ERROR) {
                        throw new UserException(cleaned.origin() + ": query '" + abbreviate(cleaned.query())
                                + "' has no positive document (no_positive: error; use skip to drop such queries"
                                + " and count them, or keep)");
                    }
                    if (options.noPositive() == NoPositive.SKIP) {
                        continue;
                    }
                }
                counts[0]++;
                counts[1] += cleaned.candidates().size();
                sink.accept(cleaned);
            }
        });
        DataReport report = new DataReport(
                files.stream().map(Path::toString).toList(),
                rowsRead,
                counts[0],
                counts[1],
                badRows.count(),
                badRows.first(),
                withoutPositiveCount[0],
                options.noPositive(),
                withoutPositive,
                counts[2]);
        LOG.info("data: {}", report.summary());
        if (report.records() == 0) {
            LOG.warn("no query records were read from {}", report.files());
        }
        return report;
    }

    private static @org.jspecify.annotations.Nullable String duplicateId(QueryRecord record) {
        Map<String, Integer> seen = new HashMap<>();
        List<Candidate> candidates = record.candidates();
        for (int i = 0; i < candidates.size(); i++) {
            Integer previous = seen.putIfAbsent(candidates.get(i).id(), i);
            if (previous != null) {
                return "document id '" + candidates.get(i).id() + "' appears twice in query '" + record.id()
                        + "' (candidates " + previous + " and " + i + "); ids must be unique within a query";
            }
        }
        return null;
    }

    private static QueryRecord removeNegativesEqualToPositives(QueryRecord record) {
        Set<String> positives = new HashSet<>();
        for (Candidate c : record.candidates()) {
            if (c.positive()) {
                positives.add(c.text());
            }
        }
        if (positives.isEmpty()) {
            return record;
        }
        List<Candidate> kept = new ArrayList<>(record.candidates().size());
        for (Candidate c : record.candidates()) {
            if (c.positive() || !positives.contains(c.text())) {
                kept.add(c);
            }
        }
        if (kept.size() == record.candidates().size()) {
            return record;
        }
        return new QueryRecord(record.id(), record.query(), kept, record.instruction(), record.origin());
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
