package dev.winnow.core.mine;

import dev.winnow.api.eval.TopK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NegativeSamplerTest {
    /** 100 hits: corpus index 1000 + rank, score 1 - rank / 100. */
    static TopK.Hits hits(int n) {
        int[] idx = new int[n];
        float[] sc = new float[n];
        for (int r = 0; r < n; r++) {
            idx[r] = 1000 + r;
            sc[r] = 1 - r / 100f;
        }
        return new TopK.Hits(idx, sc);
    }

    @Test
    void samplesInsideTheWindowWithoutPositivesOrTheQueryInRankOrder() {
        NegativeSampler sampler = new NegativeSampler(10, 40, 15, null);
        Set<Integer> positives = Set.of(1012, 1020, 1005, 1090);
        for (int q = 0; q < 50; q++) {
            NegativeSampler.Sample s = sampler.sample(hits(100), positives::contains, 1031, 0.5,
                    NegativeSampler.randomFor(42, q));
            assertEquals(15, s.rank().length);
            assertEquals(0, s.shortfall());
            assertEquals(2, s.positivesInWindow()); // 1012 and 1020; 1005 and 1090 are outside [10, 40)
            assertEquals(1, s.queryTextInWindow());
            int previous = -1;
            for (int k = 0; k < 15; k++) {
                int r = s.rank()[k];
                assertTrue(r >= 10 && r < 40, "rank " + r);
                assertTrue(r > previous, "ranks ascend and repeat nothing");
                previous = r;
                assertEquals(1000 + r, s.corpusIndex()[k]);
                assertFalse(positives.contains(s.corpusIndex()[k]));
                assertNotEquals(1031, s.corpusIndex()[k]);
            }
        }
    }

    @Test
    void sameSeedAndQuerySameSampleOtherwiseDifferent() {
        NegativeSampler sampler = new NegativeSampler(0, 100, 10, null);
        int[] a = sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(42, 3)).rank();
        int[] b = sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(42, 3)).rank();
        int[] otherQuery = sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(42, 4)).rank();
        int[] otherSeed = sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(43, 3)).rank();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, otherQuery));
        assertFalse(Arrays.equals(a, otherSeed));
    }

    @Test
    void everyCandidateOfTheWindowIsReachable() {
        NegativeSampler sampler = new NegativeSampler(5, 25, 3, null);
        Set<Integer> seen = new HashSet<>();
        for (int q = 0; q < 200; q++) {
            for (int r : sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(1, q)).rank()) {
                seen.add(r);
            }
        }
        assertEquals(20, seen.size(), "uniform over ranks 5..24");
    }

    @Test
    void marginDropsCandidatesScoringNearOrAboveTheLowestPositive() {
        // lowest positive 0.8; margin 0.05: ranks scoring above 0.75 (ranks 0..24) are dropped
        NegativeSampler sampler = new NegativeSampler(0, 100, 100, 0.05);
        NegativeSampler.Sample s = sampler.sample(hits(100), i -> false, -1, 0.8, NegativeSampler.randomFor(42, 0));
        assertEquals(25, s.droppedByMargin());
        assertEquals(75, s.rank().length);
        assertEquals(25, s.rank()[0]);
        assertEquals(25, s.shortfall());
        for (float score : s.score()) {
            assertTrue(score <= 0.8 - 0.05 + 1e-6, "score " + score);
        }
        // without positives the margin cannot apply
        NegativeSampler.Sample none = sampler.sample(hits(100), i -> false, -1, Double.NaN, NegativeSampler.randomFor(42, 0));
        assertEquals(0, none.droppedByMargin());
        assertEquals(100, none.rank().length);
    }

    @Test
    void aShortWindowGivesWhatThereIsAndCountsTheShortfall() {
        NegativeSampler sampler = new NegativeSampler(10, 210, 15, null);
        NegativeSampler.Sample s = sampler.sample(hits(18), i -> i == 1011, -1, Double.NaN, NegativeSampler.randomFor(42, 0));
        assertArrayEquals(new int[] {10, 12, 13, 14, 15, 16, 17}, s.rank());
        assertEquals(8, s.shortfall());
        NegativeSampler.Sample empty = sampler.sample(hits(5), i -> false, -1, Double.NaN, NegativeSampler.randomFor(42, 0));
        assertEquals(0, empty.rank().length);
        assertEquals(15, empty.shortfall());
    }
}
