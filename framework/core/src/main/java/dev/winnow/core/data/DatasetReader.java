package dev.winnow.core.data;

import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
     * @param mergeSameQuery merge records with the same query text and instruction into the first of them (for
     *     labelled pairs, one row per document, that listwise training needs as one query); a document id seen
     *     twice with the same text and label is dropped and counted, with a different one it is a bad row
     */
    @Doc("how data rows are read: bad rows, queries without a positive, one-pair-per-row data")
    public record Options(
            @Doc("a malformed or unconvertible row: error (naming file:line) or skip (counted)") @Default("error")
                    OnBadRow onBadRow,
            @Doc("a query without a positive: skip (counted), error, or keep") @Default("skip") NoPositive noPositive,
            @Doc("merge rows with the same query text into one query (for one labelled pair per row)")
                    @Default("false") boolean mergeSameQuery) {
        public Options(OnBadRow onBadRow, NoPositive noPositive) {
            this(onBadRow, noPositive, false);
        }

        /** Errors on bad rows, skips queries without a positive (counted). */
        public static Options training() {
            return new Options(OnBadRow.ERROR, NoPositive.SKIP);
        }

        /** Errors on bad rows, keeps queries without a positive. */
        public static Options evaluation() {
            return new Options(OnBadRow.ERROR, NoPositive.KEEP);
        }

        public Options withMergeSameQuery(boolean merge) {
            return new Options(onBadRow, noPositive, merge);
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

    /**
     * Streams the records to {@code sink} in file order, returning the report once every file is read. With
     * {@link Options#mergeSameQuery()} the records are held until the end, since a later row may add to an
     * earlier query.
     */
    public DataReport read(List<Path> files, Consumer<QueryRecord> sink) {
        Pass pass = new Pass(sink);
        Map<String, Merging> merged = new LinkedHashMap<>();
        long rowsRead = JsonRows.read(files, pass.badRows, row -> {
            List<QueryRecord> converted;
            try {
                converted = format.convert(row.value(), row.origin());
            } catch (RowException e) {
                pass.badRows.report(row.origin(), e.getMessage());
                return;
            } catch (UserException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new WinnowException(row.origin() + ": the dataset format failed on this row: " + e, e);
            }
            for (QueryRecord record : converted) {
                String duplicate = duplicateId(record);
                if (duplicate != null) {
                    pass.badRows.report(row.origin(), duplicate);
                    return;
                }
            }
            for (QueryRecord record : converted) {
                if (options.mergeSameQuery()) {
                    String key = (record.instruction() == null ? "" : record.instruction()) + '\u0000' + record.query();
                    Merging into = merged.get(key);
                    if (into == null) {
                        merged.put(key, new Merging(record));
                    } else {
                        into.add(record, pass);
                    }
                } else {
                    pass.accept(record);
                }
            }
        });
        for (Merging m : merged.values()) {
            pass.accept(m.record());
        }
        DataReport report = new DataReport(
                files.stream().map(Path::toString).toList(),
                rowsRead,
                pass.records,
                pass.candidates,
                pass.badRows.count(),
                pass.badRows.first(),
                pass.withoutPositive,
                options.noPositive(),
                pass.firstWithoutPositive,
                pass.negativesRemoved,
                pass.mergedRecords,
                pass.duplicateCandidates);
        LOG.info("data: {}", report.summary());
        if (report.records() == 0) {
            LOG.warn("no query records were read from {}", report.files());
        }
        return report;
    }

    /** The counters and the checks applied to each finished record. */
    private final class Pass {
        final BadRows badRows = new BadRows(options.onBadRow());
        final Consumer<QueryRecord> sink;
        final List<String> firstWithoutPositive = new ArrayList<>();
        long records;
        long candidates;
        long withoutPositive;
        long negativesRemoved;
        long mergedRecords;
        long duplicateCandidates;

        Pass(Consumer<QueryRecord> sink) {
            this.sink = sink;
        }

        void accept(QueryRecord record) {
            QueryRecord cleaned = removeNegativesEqualToPositives(record);
            negativesRemoved += record.candidates().size() - cleaned.candidates().size();
            if (cleaned.positives().isEmpty()) {
                withoutPositive++;
                if (firstWithoutPositive.size() < BadRows.KEPT) {
                    firstWithoutPositive.add(cleaned.origin().toString());
                }
                if (options.noPositive() == NoPositive.ERROR) {
                    throw new UserException(cleaned.origin() + ": query '" + abbreviate(cleaned.query())
                            + "' has no positive document (no_positive: error; use skip to drop such queries"
                            + " and count them, or keep)");
                }
                if (options.noPositive() == NoPositive.SKIP) {
                    return;
                }
            }
            records++;
            candidates += cleaned.candidates().size();
            sink.accept(cleaned);
        }
    }

    /** A record that later records with the same query add their candidates to. */
    private static final class Merging {
        private final QueryRecord first;
        private final List<Candidate> candidates;
        private final Map<String, Candidate> byId = new HashMap<>();

        Merging(QueryRecord first) {
            this.first = first;
            this.candidates = new ArrayList<>(first.candidates());
            first.candidates().forEach(c -> byId.put(c.id(), c));
        }

        void add(QueryRecord record, Pass pass) {
            List<Candidate> fresh = new ArrayList<>();
            long duplicates = 0;
            for (Candidate c : record.candidates()) {
                Candidate earlier = byId.get(c.id());
                if (earlier == null) {
                    fresh.add(c);
                } else if (earlier.text().equals(c.text()) && earlier.label() == c.label()) {
                    duplicates++;
                } else {
                    pass.badRows.report(record.origin(), "document id '" + c.id() + "' of query '"
                            + abbreviate(record.query()) + "' was already read at " + first.origin()
                            + " with a different text or label");
                    return;
                }
            }
            fresh.forEach(c -> byId.put(c.id(), c));
            candidates.addAll(fresh);
            pass.duplicateCandidates += duplicates;
            pass.mergedRecords++;
        }

        QueryRecord record() {
            return new QueryRecord(first.id(), first.query(), candidates, first.instruction(), first.origin());
        }
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
