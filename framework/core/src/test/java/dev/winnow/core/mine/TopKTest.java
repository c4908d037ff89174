package dev.winnow.core.mine;

import dev.winnow.api.eval.TopK;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKTest {
    static float[][] vectors(int n, int dim, SplittableRandom random) {
        float[][] v = new float[n][dim];
        for (float[] row : v) {
            double norm = 0;
            for (int i = 0; i < dim; i++) {
                row[i] = (float) random.nextGaussian();
                norm += row[i] * row[i];
            }
            for (int i = 0; i < dim; i++) {
                row[i] /= (float) Math.sqrt(norm);
            }
        }
        return v;
    }

    /** Every score, sorted by score (descending) then corpus index. */
    static TopK.Hits bruteForce(float[] query, float[][] corpus, int k) {
        Integer[] order = new Integer[corpus.length];
        float[] scores = new float[corpus.length];
        for (int i = 0; i < corpus.length; i++) {
            order[i] = i;
            scores[i] = TopK.dot(query, corpus[i]);
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        int kk = Math.min(k, corpus.length);
        int[] idx = new int[kk];
        float[] sc = new float[kk];
        for (int i = 0; i < kk; i++) {
            idx[i] = order[i];
            sc[i] = scores[order[i]];
        }
        return new TopK.Hits(idx, sc);
    }

    @Test
    void chunkedTopKEqualsBruteForceForEveryChunkSize() {
        SplittableRandom random = new SplittableRandom(7);
        float[][] queries = vectors(37, 16, random);
        float[][] corpus = vectors(301, 16, random);
        // exact ties: repeated vectors must come back in corpus-index order
        corpus[250] = corpus[3].clone();
        corpus[120] = corpus[3].clone();
        corpus[299] = corpus[40].clone();
        queries[5] = corpus[3].clone();
        for (int k : new int[] {1, 10, 64, 301, 500}) {
            TopK.Hits[] expected = new TopK.Hits[queries.length];
            for (int q = 0; q < queries.length; q++) {
                expected[q] = bruteForce(queries[q], corpus, k);
            }
            for (int[] chunks : new int[][] {{1, 1}, {3, 7}, {16, 64}, {37, 301}, {100, 1000}, {256, 8192}}) {
                TopK.Hits[] got = TopK.search(queries, corpus, k, chunks[0], chunks[1]);
                for (int q = 0; q < queries.length; q++) {
                    String at = "k " + k + ", chunks " + Arrays.toString(chunks) + ", query " + q;
                    assertArrayEquals(expected[q].index(), got[q].index(), at);
                    assertArrayEquals(expected[q].score(), got[q].score(), at);
                }
            }
        }
        TopK.Hits tied = TopK.search(queries, corpus, 3, 4, 50)[5];
        assertArrayEquals(new int[] {3, 120, 250}, tied.index());
    }

    @Test
    void allTiedScoresComeBackInCorpusOrder() {
        float[][] corpus = new float[40][];
        Arrays.fill(corpus, new float[] {1, 0});
        TopK.Hits hits = TopK.search(new float[][] {{1, 0}}, corpus, 5, 1, 7)[0];
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, hits.index());
    }

    @Test
    void emptyInputsAndBadArguments() {
        assertEquals(0, TopK.search(new float[0][], new float[][] {{1}}, 3).length);
        assertEquals(0, TopK.search(new float[][] {{1}}, new float[0][], 3)[0].size());
        assertThrows(IllegalArgumentException.class, () -> TopK.search(new float[][] {{1}}, new float[][] {{1}}, 0));
        assertThrows(IllegalArgumentException.class, () -> TopK.search(new float[][] {{1, 0}}, new float[][] {{1}}, 1));
    }
}
