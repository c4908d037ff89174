package dev.winnow.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrouperTest {
    /** Query {@code q} with {@code p} positives and {@code n} negatives, ids {@code q+0.., q-0..}. */
    static QueryRecord query(String q, int p, int n) {
        List<Candidate> c = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            c.add(new Candidate(q + "+" + i, q + " positive " + i, 1, 10.0 + i));
        }
        for (int i = 0; i < n; i++) {
            c.add(new Candidate(q + "-" + i, q + " negative " + i, 0, (double) i));
        }
        return new QueryRecord(q, "query " + q, c, null, new RowOrigin("t.jsonl", 1));
    }

    private static List<String> ids(Group g) {
        return g.candidates().stream().map(Candidate::id).toList();
    }

    private static List<List<String>> ids(Epoch e) {
        return e.groups().stream().map(GrouperTest::ids).toList();
    }

    @Test
    void listwiseGroupsHaveThePositiveFirstAndDistinctNegativesOfTheirQuery() {
        List<QueryRecord> records = List.of(query("a", 2, 10), query("b", 1, 7), query("c", 3, 20));
        Epoch epoch = new Grouper(records, new GroupingOptions(8, 0, ShortfallPolicy.DROP), 7).epoch(0);
        assertEquals(6, epoch.groups().size()); // one group per positive
        Map<String, Integer> groupsPerQuery = new HashMap<>();
        for (Group g : epoch.groups()) {
            assertEquals(8, g.size());
            assertTrue(g.candidates().get(0).positive());
            String q = g.source().id();
            groupsPerQuery.merge(q, 1, Integer::sum);
            assertTrue(g.candidates().get(0).id().startsWith(q + "+"));
            List<Candidate> negatives = g.candidates().subList(1, 8);
            assertEquals(7, new HashSet<>(negatives).size(), "sampled without replacement");
            for (Candidate c : negatives) {
                assertTrue(c.id().startsWith(q + "-"), c.id());
            }
        }
        assertEquals(Map.of("a", 2, "b", 1, "c", 3), groupsPerQuery);
        // each positive of a query heads exactly one group
        assertEquals(6, epoch.groups().stream().map(g -> g.candidates().get(0).id()).distinct().count());
        assertEquals(6, epoch.report().groups());
        assertEquals(0, epoch.report().groupsShort());
    }

    @Test
    void sameSeedAndEpochGiveTheSameGroupsOtherwiseTheyDiffer() {
        List<QueryRecord> records = List.of(query("a", 2, 10), query("b", 1, 12), query("c", 1, 9));
        GroupingOptions options = new GroupingOptions(4, 0, ShortfallPolicy.DROP);
        List<List<String>> first = ids(new Grouper(records, options, 42).epoch(3));
        assertEquals(first, ids(new Grouper(records, options, 42).epoch(3)));
        assertNotEquals(first, ids(new Grouper(records, options, 43).epoch(3)));
        assertNotEquals(first, ids(new Grouper(records, options, 42).epoch(4)));
    }

    @Test
    void negativesAreSampledUniformlyAndNeverInFileOrder() {
        List<QueryRecord> records = List.of(query("a", 1, 10));
        Grouper grouper = new Grouper(records, new GroupingOptions(4, 0, ShortfallPolicy.DROP), 1);
        int[] picks = new int[10];
        int inFileOrder = 0;
        int epochs = 2000;
        for (int e = 0; e < epochs; e++) {
            List<Candidate> negatives = grouper.epoch(e).groups().get(0).candidates().subList(1, 4);
            int previous = -1;
            boolean ascending = true;
            for (Candidate c : negatives) {
                int i = Integer.parseInt(c.id().substring(2));
                picks[i]++;
                ascending &= i > previous;
                previous = i;
            }
            inFileOrder += ascending ? 1 : 0;
        }
        // Each negative is expected 2000 * 3 / 10 = 600 times; binomial sd about 20.5, so 6 sd is 123.
        for (int count : picks) {
            assertTrue(Math.abs(count - 600) < 123, "pick counts " + java.util.Arrays.toString(picks));
        }
        // Three sampled negatives are in ascending file order with probability 1/6: about 333 times.
        assertTrue(inFileOrder > 250 && inFileOrder < 420, "ascending " + inFileOrder);
    }

    @Test
    void positivesPerQueryLimitsGroupsAndCountsTheRest() {
        List<QueryRecord> records = List.of(query("a", 3, 10), query("b", 1, 10));
        Grouper grouper = new Grouper(records, GroupingOptions.swift(), 5);
        Epoch epoch = grouper.epoch(0);
        assertEquals(2, epoch.groups().size());
        assertEquals(2, epoch.report().positivesNotUsed());
        // Over epochs every positive of "a" gets its turn.
        HashSet<String> heads = new HashSet<>();
        for (int e = 0; e < 30; e++) {
            for (Group g : grouper.epoch(e).groups()) {
                heads.add(g.candidates().get(0).id());
            }
        }
        assertEquals(new HashSet<>(List.of("a+0", "a+1", "a+2", "b+0")), heads);
    }

    @Test
    void shortfallDrop() {
        List<QueryRecord> records = List.of(query("a", 1, 3), query("b", 2, 8));
        Epoch epoch = new Grouper(records, new GroupingOptions(6, 0, ShortfallPolicy.DROP), 1).epoch(0);
        assertEquals(2, epoch.groups().size());
        assertTrue(epoch.groups().stream().allMatch(g -> g.source().id().equals("b")));
        assertEquals(1, epoch.report().groupsShort());
        assertEquals(1, epoch.report().groupsDropped());
    }

    @Test
    void shortfallShorterKeepsEveryNegativeOnce() {
        List<QueryRecord> records = List.of(query("a", 1, 3));
        Epoch epoch = new Grouper(records, GroupingOptions.swift(), 1).epoch(0);
        Group g = epoch.groups().get(0);
        assertEquals(4, g.size());
        assertEquals(new HashSet<>(List.of("a+0", "a-0", "a-1", "a-2")), new HashSet<>(ids(g)));
        assertEquals(1, epoch.report().groupsShort());
        assertEquals(0, epoch.report().groupsDropped());
    }

    @Test
    void shortfallRepeatUsesEveryNegativeThenRepeatsThemEvenly() {
        List<QueryRecord> records = List.of(query("a", 1, 3), query("z", 1, 0));
        Epoch epoch = new Grouper(records, new GroupingOptions(9, 0, ShortfallPolicy.REPEAT), 1).epoch(0);
        assertEquals(1, epoch.groups().size(), "a query without negatives cannot repeat any");
        Group g = epoch.groups().get(0);
        assertEquals(9, g.size());
        assertEquals("a+0", g.candidates().get(0).id());
        Map<String, Integer> uses = new HashMap<>();
        for (Candidate c : g.candidates().subList(1, 9)) {
            uses.merge(c.id(), 1, Integer::sum);
        }
        // 8 slots over 3 negatives: each used 2 or 3 times.
        assertEquals(3, uses.size());
        assertTrue(uses.values().stream().allMatch(u -> u == 2 || u == 3), uses.toString());
        assertEquals(5, epoch.report().negativesRepeated());
        assertEquals(2, epoch.report().groupsShort());
        assertEquals(1, epoch.report().groupsDropped());
    }

    @Test
    void shortfallPadBorrowsDistinctNegativesOfOtherQueriesWithoutTheirTeacherScores() {
        List<QueryRecord> records = List.of(query("a", 1, 2), query("b", 1, 3), query("c", 1, 3));
        Epoch epoch = new Grouper(records, new GroupingOptions(6, 0, ShortfallPolicy.PAD), 3).epoch(0);
        assertEquals(3, epoch.groups().size());
        Group a = epoch.groups().stream().filter(g -> g.source().id().equals("a")).findFirst().orElseThrow();
        assertEquals(6, a.size());
        assertEquals(6, new HashSet<>(ids(a)).size());
        long own = a.candidates().stream().filter(c -> c.id().startsWith("a-")).count();
        assertEquals(2, own);
        for (Candidate c : a.candidates().subList(1, 6)) {
            assertTrue(!c.positive());
            if (!c.id().startsWith("a-")) {
                assertTrue(c.id().startsWith("b-") || c.id().startsWith("c-"), c.id());
                assertNull(c.teacherScore());
            } else {
                assertTrue(c.teacherScore() != null);
            }
        }
        assertEquals(3 + 2 + 2, epoch.report().negativesPadded());
    }

    @Test
    void padDropsWhenTheDatasetHasTooFewOtherNegatives() {
        List<QueryRecord> records = List.of(query("a", 1, 1), query("b", 1, 1));
        Epoch epoch = new Grouper(records, new GroupingOptions(5, 0, ShortfallPolicy.PAD), 3).epoch(0);
        assertEquals(0, epoch.groups().size());
        assertEquals(2, epoch.report().groupsDropped());
    }

    @Test
    void pointwiseMakesEveryCandidateAnExampleOnce() {
        List<QueryRecord> records = List.of(query("a", 1, 3), query("b", 0, 2), query("c", 2, 0));
        Epoch epoch = new Grouper(records, new GroupingOptions(1, 0, ShortfallPolicy.DROP), 9).epoch(0);
        assertEquals(8, epoch.groups().size());
        List<String> all = epoch.groups().stream().map(g -> g.candidates().get(0).id()).sorted().toList();
        assertEquals(List.of("a+0", "a-0", "a-1", "a-2", "b-0", "b-1", "c+0", "c+1"), all);
        for (Group g : epoch.groups()) {
            assertTrue(g.candidates().get(0).id().startsWith(g.source().id()));
        }
    }

    @Test
    void listwiseCountsQueriesWithoutPositive() {
        List<QueryRecord> records = List.of(query("a", 1, 3), query("b", 0, 5));
        Epoch epoch = new Grouper(records, new GroupingOptions(4, 0, ShortfallPolicy.DROP), 9).epoch(0);
        assertEquals(1, epoch.groups().size());
        assertEquals(1, epoch.report().queriesWithoutPositive());
    }

    @Test
    void groupsAreShuffledAcrossQueries() {
        List<QueryRecord> records = new ArrayList<>();
        for (int q = 0; q < 50; q++) {
            records.add(query("q" + q, 1, 5));
        }
        Epoch epoch = new Grouper(records, new GroupingOptions(3, 0, ShortfallPolicy.DROP), 2).epoch(0);
        List<String> order = epoch.groups().stream().map(g -> g.source().id()).toList();
        assertNotEquals(records.stream().map(QueryRecord::id).toList(), order);
        assertEquals(50, new HashSet<>(order).size());
    }

    @Test
    void resumeContinuesAtTheSamePosition() {
        List<QueryRecord> records = new ArrayList<>();
        for (int q = 0; q < 20; q++) {
            records.add(query("q" + q, 1 + q % 2, 6));
        }
        GroupingOptions options = new GroupingOptions(4, 0, ShortfallPolicy.DROP);
        Epoch full = new Grouper(records, options, 11).epoch(2);
        List<Group> rest = new Grouper(records, options, 11).epoch(2).from(17);
        assertEquals(full.groups().size() - 17, rest.size());
        assertEquals(full.groups().subList(17, full.groups().size()), rest);
        assertEquals(0, full.from(full.groups().size()).size());
        assertThrows(UserException.class, () -> full.from(full.groups().size() + 1));
    }

    @Test
    void fingerprintChangesWithDataOptionsAndSeed() {
        List<QueryRecord> records = List.of(query("a", 1, 3));
        GroupingOptions options = new GroupingOptions(4, 0, ShortfallPolicy.DROP);
        long f = new Grouper(records, options, 1).fingerprint();
        assertEquals(f, new Grouper(List.of(query("a", 1, 3)), options, 1).fingerprint());
        assertNotEquals(f, new Grouper(records, options, 2).fingerprint());
        assertNotEquals(f, new Grouper(records, GroupingOptions.swift(), 1).fingerprint());
        assertNotEquals(f, new Grouper(List.of(query("a", 1, 4)), options, 1).fingerprint());
    }

    @Test
    void optionsAreChecked() {
        assertThrows(UserException.class, () -> new GroupingOptions(0, 0, ShortfallPolicy.DROP));
        assertThrows(UserException.class, () -> new GroupingOptions(2, -1, ShortfallPolicy.DROP));
        assertEquals(new GroupingOptions(8, 1, ShortfallPolicy.SHORTER), GroupingOptions.swift());
    }

    @Test
    void sampleIsAPermutationPrefix() {
        var random = Grouper.random(1, 0, 0);
        int[] s = Grouper.sample(10, 10, random);
        assertEquals(10, java.util.Arrays.stream(s).distinct().count());
        assertEquals(0, Grouper.sample(5, 0, random).length);
    }
}
