package dev.winnow.core.mine;

import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.BadRows;
import dev.winnow.core.data.JsonRows;
import dev.winnow.core.data.OnBadRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The distinct document texts mined from, each with a stable index (the order texts were first seen: file order,
 * or record then candidate order), which breaks score ties.
 */
public final class Corpus {
    private final List<String> texts = new ArrayList<>();
    private final Map<String, Integer> index = new HashMap<>();
    private final String source;
    private long rows;
    private long duplicates;

    private Corpus(String source) {
        this.source = source;
    }

    /** Every distinct document text of the records (positives and negatives), as FlagEmbedding does by default. */
    public static Corpus of(List<QueryRecord> records) {
        Corpus c = new Corpus("the input's documents");
        for (QueryRecord r : records) {
            for (Candidate d : r.candidates()) {
                c.rows++;
                if (c.indexOf(d.text()) >= 0) {
                    c.duplicates++;
                } else {
                    c.add(d.text());
                }
            }
        }
        return c;
    }

    /** {@code {text}} rows from files (other keys are ignored); a row without a non-empty text is an error. */
    public static Corpus read(List<Path> files) {
        Corpus c = new Corpus(files.size() == 1 ? files.get(0).toString() : files.size() + " files");
        JsonRows.read(files, new BadRows(OnBadRow.ERROR), row -> {
            if (!(row.value().get("text") instanceof String text) || text.isEmpty()) {
                throw new UserException(row.origin() + ": a corpus row needs a non-empty 'text' string, as {\"text\":"
                        + " \"...\"}; it has " + (row.value().containsKey("text")
                                ? JsonRows.kind(row.value().get("text")) + " 'text'" : "no 'text'"));
            }
            c.rows++;
            if (c.indexOf(text) >= 0) {
                c.duplicates++;
            } else {
                c.add(text);
            }
        });
        if (c.texts.isEmpty()) {
            throw new UserException("the corpus " + c.source + " holds no rows");
        }
        return c;
    }

    /** The text's index, adding it at the end when it is new. */
    public int add(String text) {
        Integer at = index.get(text);
        if (at != null) {
            return at;
        }
        texts.add(text);
        index.put(text, texts.size() - 1);
        return texts.size() - 1;
    }

    /** The text's index, or -1. */
    public int indexOf(String text) {
        Integer at = index.get(text);
        return at == null ? -1 : at;
    }

    public String text(int i) {
        return texts.get(i);
    }

    public int size() {
        return texts.size();
    }

    public List<String> texts() {
        return List.copyOf(texts);
    }

    /** Where the texts came from, for the report. */
    public String source() {
        return source;
    }

    /** Documents read (before removing repeated texts). */
    public long rows() {
        return rows;
    }

    /** Documents whose text was already in the corpus. */
    public long duplicates() {
        return duplicates;
    }
}
