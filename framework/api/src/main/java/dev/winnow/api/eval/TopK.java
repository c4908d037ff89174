package dev.winnow.api.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Exact top-k retrieval by dot product (cosine similarity for L2-normalised vectors), computed over chunks of
 * {@code queryChunk} queries and {@code corpusChunk} corpus vectors with a running top-k per query ({@link Running}),
 * so memory stays bounded by the chunks and by {@code queries x k}, never the full query x corpus matrix. Ties are broken by corpus index (lower first), so
 * the result depends only on the vectors, not on chunk sizes or thread scheduling.
 */
public final class TopK {
    /** Default block: 256 queries by 8,192 corpus vectors (8 MiB of scores). */
    public static final int QUERY_CHUNK = 256;
    public static final int CORPUS_CHUNK = 8192;

    private TopK() {}

    /**
     * One query's hits, best first.
     *
     * @param index corpus indices
     * @param score their scores
     */
    public record Hits(int[] index, float[] score) {
        public int size() {
            return index.length;
        }
    }

    /** {@link #search(float[][], float[][], int, int, int)} with the default block. */
    public static Hits[] search(float[][] queries, float[][] corpus, int k) {
        return search(queries, corpus, k, QUERY_CHUNK, CORPUS_CHUNK);
    }

    /**
     * The {@code k} best corpus vectors for each query (fewer when the corpus is smaller), best first.
     *
     * @throws IllegalArgumentException when k or a chunk size is below 1, or a vector's dimension differs
     */
    public static Hits[] search(float[][] queries, float[][] corpus, int k, int queryChunk, int corpusChunk) {
        if (k < 1 || queryChunk < 1 || corpusChunk < 1) {
            throw new IllegalArgumentException("k and chunk sizes must be at least 1: k " + k + ", query chunk "
                    + queryChunk + ", corpus chunk " + corpusChunk);
        }
        int dim = queries.length == 0 ? 0 : queries[0].length;
        for (float[] v : corpus) {
            checkDim(v, dim, queries.length);
        }
        for (float[] v : queries) {
            checkDim(v, dim, queries.length);
        }
        Hits[] out = new Hits[queries.length];
        for (int q0 = 0; q0 < queries.length; q0 += queryChunk) {
            int q1 = Math.min(queries.length, q0 + queryChunk);
            Running running = new Running(Arrays.copyOfRange(queries, q0, q1), k);
            for (int c0 = 0; c0 < corpus.length; c0 += corpusChunk) {
                running.offer(Arrays.copyOfRange(corpus, c0, Math.min(corpus.length, c0 + corpusChunk)));
            }
            System.arraycopy(running.hits(), 0, out, q0, q1 - q0);
        }
        return out;
    }

    /**
     * A running top-k of each query over corpus vectors offered a chunk at a time, for a corpus encoded chunk by
     * chunk and never held whole: corpus indices continue from one chunk to the next.
     */
    public static final class Running {
        private final float[][] queries;
        private final Heap[] heaps;
        private int offset;

        public Running(float[][] queries, int k) {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + k);
            }
            this.queries = queries;
            this.heaps = new Heap[queries.length];
            for (int i = 0; i < heaps.length; i++) {
                heaps[i] = new Heap(k);
            }
        }

        /** Scores the next chunk of the corpus against every query. */
        public void offer(float[][] chunk) {
            for (float[] v : chunk) {
                checkDim(v, queries.length == 0 ? 0 : queries[0].length, queries.length);
            }
            int start = offset;
            // one heap per query; queries are independent, so the order threads run in changes nothing
            IntStream.range(0, queries.length).parallel().forEach(q -> {
                for (int c = 0; c < chunk.length; c++) {
                    heaps[q].offer(start + c, dot(queries[q], chunk[c]));
                }
            });
            offset += chunk.length;
        }

        /** Each query's hits so far, best first. */
        public Hits[] hits() {
            Hits[] out = new Hits[heaps.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = heaps[i].sorted();
            }
            return out;
        }
    }

    private static void checkDim(float[] v, int dim, int queries) {
        if (queries > 0 && v.length != dim) {
            throw new IllegalArgumentException("vectors of different dimensions: " + v.length + " and " + dim);
        }
    }

    /** The dot product, with four accumulators (a fixed summation order: the same result on every call). */
    public static float dot(float[] a, float[] b) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int n = a.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Whether hit (ia, sa) ranks before hit (ib, sb): higher score, then lower corpus index. */
    static boolean before(int ia, float sa, int ib, float sb) {
        int c = Float.compare(sa, sb);
        return c > 0 || (c == 0 && ia < ib);
    }

    /** A bounded heap whose root is the worst of the best k seen so far. */
    private static final class Heap {
        private final int[] index;
        private final float[] score;
        private int size;

        Heap(int k) {
            index = new int[k];
            score = new float[k];
        }

        void offer(int i, float s) {
            if (index.length == 0) {
                return;
            }
            if (size < index.length) {
                int at = size++;
                index[at] = i;
                score[at] = s;
                siftUp(at);
            } else if (before(i, s, index[0], score[0])) {
                index[0] = i;
                score[0] = s;
                siftDown(0);
            }
        }

        /** Whether slot a is worse than slot b (belongs nearer the root). */
        private boolean worse(int a, int b) {
            return before(index[b], score[b], index[a], score[a]);
        }

        private void siftUp(int at) {
            while (at > 0) {
                int parent = (at - 1) / 2;
                if (!worse(at, parent)) {
                    return;
                }
                swap(at, parent);
                at = parent;
            }
        }

        private void siftDown(int at) {
            while (true) {
                int l = 2 * at + 1;
                int r = l + 1;
                int worst = at;
                if (l < size && worse(l, worst)) {
                    worst = l;
                }
                if (r < size && worse(r, worst)) {
                    worst = r;
                }
                if (worst == at) {
                    return;
                }
                swap(at, worst);
                at = worst;
            }
        }

        private void swap(int a, int b) {
            int i = index[a];
            index[a] = index[b];
            index[b] = i;
            float s = score[a];
            score[a] = score[b];
            score[b] = s;
        }

        Hits sorted() {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> before(index[a], score[a], index[b], score[b]) ? -1
                    : before(index[b], score[b], index[a], score[a]) ? 1 : 0);
            int[] idx = new int[size];
            float[] sc = new float[size];
            for (int i = 0; i < size; i++) {
                idx[i] = index[order[i]];
                sc[i] = score[order[i]];
            }
            return new Hits(idx, sc);
        }
    }
}
