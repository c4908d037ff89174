package dev.winnow.formats;

import dev.winnow.api.data.Candidate;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Collects a row's candidates, giving each the data's id or {@code <query id>#<index>}. */
final class Candidates {
    private final String queryId;
    private final List<Candidate> list = new ArrayList<>();

    Candidates(String queryId) {
        this.queryId = queryId;
    }

    void add(Rows.Doc doc, double label, @Nullable Double teacherScore) {
        String id = doc.id() != null ? doc.id() : Rows.docId(queryId, list.size());
        list.add(new Candidate(id, doc.text(), label, teacherScore));
    }

    void addAll(List<Rows.Doc> docs, double label) {
        for (Rows.Doc doc : docs) {
            add(doc, label, null);
        }
    }

    List<Candidate> list() {
        return list;
    }
}
