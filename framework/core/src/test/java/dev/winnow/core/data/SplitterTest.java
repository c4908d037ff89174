package dev.winnow.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitterTest {
    private static List<QueryRecord> records(int n) {
        List<QueryRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new QueryRecord("r" + i, "query " + i, List.of(new Candidate("d", "doc", 1, null)), null,
                    new RowOrigin("f", i + 1)));
        }
        return out;
    }

    private static List<String> ids(List<QueryRecord> records) {
        return records.stream().map(QueryRecord::id).toList();
    }

    @Test
    void splitIsDeterministicCeilSizedAndKeepsOrder() {
        List<QueryRecord> all = records(101);
        Splitter.Split a = Splitter.split(all, 0.05, 42);
        assertEquals(6, a.eval().size()); // ceil(5.05)
        assertEquals(95, a.train().size());
        assertEquals(ids(a.eval()), ids(Splitter.split(all, 0.05, 42).eval()));
        assertNotEquals(ids(a.eval()), ids(Splitter.split(all, 0.05, 43).eval()));
        Set<String> union = new HashSet<>(ids(a.train()));
        union.addAll(ids(a.eval()));
        assertEquals(101, union.size());
        // original relative order is kept on both sides
        assertEquals(ids(a.eval()).stream().sorted((x, y) -> Integer.compare(
                Integer.parseInt(x.substring(1)), Integer.parseInt(y.substring(1)))).toList(), ids(a.eval()));
    }

    @Test
    void recordsWithTheSameQueryStayTogether() {
        List<QueryRecord> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            all.add(new QueryRecord("r" + i, "query " + (i % 10), List.of(), null, new RowOrigin("f", i + 1)));
        }
        Splitter.Split split = Splitter.split(all, 0.3, 7);
        assertEquals(12, split.eval().size()); // 3 of 10 distinct queries, 4 records each
        Set<String> evalQueries = new HashSet<>();
        split.eval().forEach(r -> evalQueries.add(r.query()));
        assertTrue(split.train().stream().noneMatch(r -> evalQueries.contains(r.query())));
    }

    @Test
    void ratioZeroAndBadRatios() {
        List<QueryRecord> all = records(3);
        assertEquals(0, Splitter.split(all, 0, 1).eval().size());
        assertThrows(UserException.class, () -> Splitter.split(all, 1.0, 1));
        assertThrows(UserException.class, () -> Splitter.split(all, -0.1, 1));
        assertThrows(UserException.class, () -> Splitter.split(records(1), 0.5, 1));
        assertEquals(1, Splitter.split(records(2), 0.01, 1).eval().size());
    }
}
