package dev.winnow.core.mine;

import dev.winnow.api.eval.TopK;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Mines hard negatives: encodes the corpus and the queries (with the query prompt), retrieves each query's exact
 * top-k ({@link TopK}), and samples negatives from the rank window ({@link NegativeSampler}), each query with its
 * own random stream seeded by the seed and its position in the input. The known positives are added to a corpus
 * file that lacks them (as sentence-transformers does), so that they take their ranks and recall can be measured.
 */
public final class HardNegativeMiner {
    /** Texts encoded per call, so that progress can be reported on a large corpus. */
    static final int ENCODE_SLICE = 4096;

    private HardNegativeMiner() {}

    /** A mined negative: its text, 0-based rank in the query's retrieval list and score. */
    public record Negative(String text, int rank, float score) {}

    /** A query with its mined negatives (best-ranked first). */
    public record Mined(QueryRecord source, List<Negative> negatives) {
        public Mined {
            negatives = List.copyOf(negatives);
        }

        /** The query's positives (as read) followed by the mined negatives, which replace the data's own. */
        public QueryRecord record() {
            List<Candidate> candidates = new ArrayList<>(source.positives());
            Set<String> ids = new HashSet<>();
            candidates.forEach(c -> ids.add(c.id()));
            for (Negative n : negatives) {
                String id = source.id() + "#mined" + n.rank();
                while (!ids.add(id)) {
                    id = id + "'";
                }
                candidates.add(new Candidate(id, n.text(), 0, null));
            }
            return new QueryRecord(source.id(), source.query(), candidates, source.instruction(), source.origin());
        }
    }

    /** The mined queries, in input order, and the statistics. */
    public record Result(List<Mined> queries, MineStats stats) {
        public Result {
            queries = List.copyOf(queries);
        }

        public List<QueryRecord> records() {
            return queries.stream().map(Mined::record).toList();
        }
    }

    /**
     * @param corpus the documents to mine from, or null for every distinct document of the records
     * @param seed the sampling seed
     * @param log progress lines
     */
    public static Result mine(List<QueryRecord> records, @Nullable Corpus corpus, TextEncoder encoder,
            MineOptions options, long seed, PrintStream log) {
        var problems = options.problems(k -> k);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("mining options: " + problems);
        }
        Corpus docs = corpus != null ? corpus : Corpus.of(records);
        long added = 0;
        for (QueryRecord r : records) {
            for (Candidate p : r.positives()) {
                if (docs.indexOf(p.text()) < 0) {
                    docs.add(p.text());
                    added++;
                }
            }
        }
        int topK = options.effectiveTopK();
        log.printf(Locale.ROOT, "mining: %d queries against %d documents, top %d, negatives from ranks [%d, %d)%n",
                records.size(), docs.size(), topK, options.rangeMin(), options.rangeMax());
        float[][] corpusVectors = encode(docs.texts(), encoder, "documents", log);
        String prompt = options.queryPrompt() == null ? "" : options.queryPrompt();
        float[][] queryVectors = encode(records.stream().map(r -> prompt + r.query()).toList(), encoder, "queries", log);
        TopK.Hits[] hits = TopK.search(queryVectors, corpusVectors, topK);

        NegativeSampler sampler = NegativeSampler.of(options);
        List<Mined> mined = new ArrayList<>(records.size());
        long withoutPositive = 0;
        long negatives = 0;
        long queriesShort = 0;
        long missing = 0;
        long rankSum = 0;
        double negativeScoreSum = 0;
        double positiveScoreSum = 0;
        long positives = 0;
        long positivesInTopK = 0;
        long positivesInWindow = 0;
        long queryText = 0;
        long dropped = 0;
        for (int i = 0; i < records.size(); i++) {
            QueryRecord r = records.get(i);
            int[] positiveIndex = r.positives().stream().mapToInt(p -> docs.indexOf(p.text())).distinct().sorted().toArray();
            double lowest = Double.NaN;
            for (int p : positiveIndex) {
                float s = TopK.dot(queryVectors[i], corpusVectors[p]);
                positiveScoreSum += s;
                lowest = Double.isNaN(lowest) ? s : Math.min(lowest, s);
            }
            positives += positiveIndex.length;
            if (positiveIndex.length == 0) {
                withoutPositive++;
            }
            for (int doc : hits[i].index()) {
                if (Arrays.binarySearch(positiveIndex, doc) >= 0) {
                    positivesInTopK++;
                }
            }
            NegativeSampler.Sample s = sampler.sample(hits[i], doc -> Arrays.binarySearch(positiveIndex, doc) >= 0,
                    docs.indexOf(r.query()), lowest, NegativeSampler.randomFor(seed, i));
            List<Negative> chosen = new ArrayList<>(s.rank().length);
            for (int k = 0; k < s.rank().length; k++) {
                chosen.add(new Negative(docs.text(s.corpusIndex()[k]), s.rank()[k], s.score()[k]));
                rankSum += s.rank()[k] + 1;
                negativeScoreSum += s.score()[k];
            }
            mined.add(new Mined(r, chosen));
            negatives += chosen.size();
            if (s.shortfall() > 0) {
                queriesShort++;
                missing += s.shortfall();
            }
            positivesInWindow += s.positivesInWindow();
            queryText += s.queryTextInWindow();
            dropped += s.droppedByMargin();
        }
        MineStats stats = new MineStats(records.size(), withoutPositive, docs.size(), docs.source(), docs.duplicates(),
                added, Math.min(topK, docs.size()), options.rangeMin(), options.rangeMax(), options.numNegatives(),
                negatives, queriesShort, missing, negatives == 0 ? Double.NaN : (double) rankSum / negatives,
                negatives == 0 ? Double.NaN : negativeScoreSum / negatives,
                positives == 0 ? Double.NaN : positiveScoreSum / positives, positives, positivesInTopK,
                positivesInWindow, queryText, dropped, encoder.truncated());
        return new Result(mined, stats);
    }

    private static float[][] encode(List<String> texts, TextEncoder encoder, String what, PrintStream log) {
        float[][] out = new float[texts.size()][];
        long start = System.nanoTime();
        for (int from = 0; from < texts.size(); from += ENCODE_SLICE) {
            int to = Math.min(texts.size(), from + ENCODE_SLICE);
            float[][] part = encoder.encode(texts.subList(from, to));
            if (part.length != to - from) {
                throw new IllegalStateException("the encoder returned " + part.length + " vectors for " + (to - from) + " texts");
            }
            System.arraycopy(part, 0, out, from, part.length);
            if (texts.size() > ENCODE_SLICE) {
                log.printf(Locale.ROOT, "  encoded %d/%d %s (%.0f s)%n", to, texts.size(), what, (System.nanoTime() - start) / 1e9);
            }
        }
        return out;
    }
}
