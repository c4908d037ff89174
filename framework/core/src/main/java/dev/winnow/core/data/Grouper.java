package dev.winnow.core.data;

import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns query records into training groups, one epoch at a time.
 *
 * <p>Listwise ({@code group_size > 1}): each query yields one group per positive (or {@code positives_per_query}
 * positives sampled afresh each epoch), each group being that positive followed by {@code group_size - 1} of the
 * query's negatives sampled without replacement, in random order; a shortfall is handled by the
 * {@link ShortfallPolicy}. Pointwise ({@code group_size = 1}): every candidate is a group of its own.
 *
 * <p>Candidates never keep their file order (which can leak relevance, as in WikiQA), and groups are shuffled
 * each epoch. All randomness derives from {@code (seed, epoch, query index)}, so an epoch is reproducible and
 * does not depend on how other queries were sampled.
 */
public final class Grouper {
    private static final Logger LOG = LoggerFactory.getLogger(Grouper.class);
    private static final long ORDER_STREAM = -1;

    private final List<QueryRecord> records;
    private final GroupingOptions options;
    private final long seed;
    // Pool of every negative in the dataset, for ShortfallPolicy.PAD: candidate and owning query index.
    private final List<Candidate> pool = new ArrayList<>();
    private final List<Integer> poolOwner = new ArrayList<>();

    public Grouper(List<QueryRecord> records, GroupingOptions options, long seed) {
        this.records = List.copyOf(records);
        this.options = options;
        this.seed = seed;
        if (options.shortfall() == ShortfallPolicy.PAD && !options.pointwise()) {
            for (int q = 0; q < this.records.size(); q++) {
                for (Candidate c : this.records.get(q).negatives()) {
                    pool.add(c);
                    poolOwner.add(q);
                }
            }
        }
    }

    public GroupingOptions options() {
        return options;
    }

    /** The groups of epoch {@code epoch} (0-based), shuffled. */
    public Epoch epoch(int epoch) {
        List<Group> groups = new ArrayList<>();
        Counts counts = new Counts();
        for (int q = 0; q < records.size(); q++) {
            SplittableRandom random = random(seed, epoch, q);
            if (options.pointwise()) {
                for (Candidate c : records.get(q).candidates()) {
                    groups.add(new Group(records.get(q), List.of(c)));
                }
            } else {
                groupQuery(q, random, groups, counts);
            }
        }
        shuffle(groups, random(seed, epoch, ORDER_STREAM));
        GroupingReport report = new GroupingReport(
                records.size(),
                groups.size(),
                counts.withoutPositive,
                counts.positivesNotUsed,
                counts.groupsShort,
                counts.groupsDropped,
                counts.repeated,
                counts.padded);
        LOG.info("epoch {}: {}", epoch, report.summary());
        return new Epoch(epoch, groups, report);
    }

    /**
     * A hash of the records (ids, texts, labels), the options and the seed: a checkpoint stores it so that a
     * resumed run can tell whether it is grouping the same data the same way.
     */
    public long fingerprint() {
        long h = 0xcbf29ce484222325L;
        h = fnv(h, options.toString());
        h = fnv(h, Long.toString(seed));
        for (QueryRecord r : records) {
            h = fnv(h, r.id());
            h = fnv(h, r.query());
            for (Candidate c : r.candidates()) {
                h = fnv(h, c.id());
                h = fnv(h, c.text());
                h = fnv(h, Double.toString(c.label()));
            }
        }
        return h;
    }

    private void groupQuery(int q, SplittableRandom random, List<Group> groups, Counts counts) {
        QueryRecord record = records.get(q);
        List<Candidate> positives = record.positives();
        List<Candidate> negatives = record.negatives();
        if (positives.isEmpty()) {
            counts.withoutPositive++;
            return;
        }
        int usePositives = options.positivesPerQuery() == 0
                ? positives.size()
                : Math.min(options.positivesPerQuery(), positives.size());
        counts.positivesNotUsed += positives.size() - usePositives;
        int need = options.groupSize() - 1;
        for (int p : sample(positives.size(), usePositives, random)) {
            List<Candidate> group = new ArrayList<>(options.groupSize());
            group.add(positives.get(p));
            if (negatives.size() >= need) {
                for (int n : sample(negatives.size(), need, random)) {
                    group.add(negatives.get(n));
                }
                groups.add(new Group(record, group));
                continue;
            }
            counts.groupsShort++;
            for (int n : sample(negatives.size(), negatives.size(), random)) {
                group.add(negatives.get(n));
            }
            int missing = need - negatives.size();
            switch (options.shortfall()) {
                case DROP -> {
                    counts.groupsDropped++;
                    continue;
                }
                case SHORTER -> {}
                case REPEAT -> {
                    if (negatives.isEmpty()) {
                        counts.groupsDropped++;
                        continue;
                    }
                    while (group.size() < options.groupSize()) {
                        for (int n : sample(negatives.size(), negatives.size(), random)) {
                            if (group.size() == options.groupSize()) {
                                break;
                            }
                            group.add(negatives.get(n));
                        }
                    }
                    counts.repeated += missing;
                }
                case PAD -> {
                    if (!pad(q, group, missing, random)) {
                        counts.groupsDropped++;
                        continue;
                    }
                    counts.padded += missing;
                }
            }
            groups.add(new Group(record, group));
        }
    }

    /** Adds {@code missing} distinct negatives of other queries whose texts are not already the query's. */
    private boolean pad(int q, List<Candidate> group, int missing, SplittableRandom random) {
        Set<String> excluded = new HashSet<>();
        for (Candidate c : records.get(q).candidates()) {
            excluded.add(c.text());
        }
        Set<Integer> chosen = new HashSet<>();
        List<Candidate> added = new ArrayList<>(missing);
        int attempts = 0;
        while (added.size() < missing && attempts < 32 * missing && !pool.isEmpty()) {
            attempts++;
            int i = random.nextInt(pool.size());
            if (poolOwner.get(i) != q && !excluded.contains(pool.get(i).text()) && chosen.add(i)) {
                excluded.add(pool.get(i).text());
                added.add(padded(pool.get(i)));
            }
        }
        if (added.size() < missing) {
            // Rejection sampling found too few: fall back to drawing from the full list of eligible negatives.
            List<Integer> eligible = new ArrayList<>();
            for (int i = 0; i < pool.size(); i++) {
                if (poolOwner.get(i) != q && !excluded.contains(pool.get(i).text()) && !chosen.contains(i)) {
                    eligible.add(i);
                }
            }
            for (int i : sample(eligible.size(), eligible.size(), random)) {
                Candidate c = pool.get(eligible.get(i));
                if (added.size() < missing && excluded.add(c.text())) {
                    added.add(padded(c));
                }
            }
        }
        if (added.size() < missing) {
            return false;
        }
        group.addAll(added);
        return true;
    }

    /** A negative borrowed from another query: its teacher score belongs to that query, so it is dropped. */
    private static Candidate padded(Candidate c) {
        return c.teacherScore() == null ? c : new Candidate(c.id(), c.text(), c.label(), null);
    }

    /** {@code k} distinct indices in {@code [0, n)}, in random order (a partial Fisher-Yates shuffle). */
    static int[] sample(int n, int k, SplittableRandom random) {
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
            index[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(n - i);
            int t = index[i];
            index[i] = index[j];
            index[j] = t;
        }
        return java.util.Arrays.copyOf(index, k);
    }

    static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /** A generator for one stream of one epoch: independent of every other stream. */
    static SplittableRandom random(long seed, int epoch, long stream) {
        return new SplittableRandom(mix(mix(mix(seed) + epoch) + stream));
    }

    /** The SplitMix64 finaliser: spreads nearby seeds far apart. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static long fnv(long h, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return (h ^ 0xff) * 0x100000001b3L; // separator, so ("ab","c") and ("a","bc") differ
    }

    private static final class Counts {
        long withoutPositive;
        long positivesNotUsed;
        long groupsShort;
        long groupsDropped;
        long repeated;
        long padded;
    }
}
