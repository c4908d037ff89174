package dev.winnow.core.eval;

import dev.winnow.api.eval.TieBreak;
import dev.winnow.api.eval.ScoredDoc;
import dev.winnow.api.eval.RankingMetrics;
import dev.winnow.api.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * trec_eval's qrels and run files, evaluated the way trec_eval does: per query over the run's documents, averaged
 * over the queries that appear in both files.
 */
public final class TrecEval {
    private TrecEval() {}

    /** {@code qid 0 docno rel} lines. */
    public static Map<String, Map<String, Double>> readQrels(Path file) {
        Map<String, Map<String, Double>> out = new TreeMap<>();
        for (String[] f : fields(file, 4)) {
            out.computeIfAbsent(f[0], q -> new LinkedHashMap<>()).put(f[2], Double.parseDouble(f[3]));
        }
        return out;
    }

    /** {@code qid Q0 docno rank score tag} lines: query id to docno to score. */
    public static Map<String, Map<String, Double>> readRun(Path file) {
        Map<String, Map<String, Double>> out = new TreeMap<>();
        for (String[] f : fields(file, 6)) {
            out.computeIfAbsent(f[0], q -> new LinkedHashMap<>()).put(f[2], Double.parseDouble(f[4]));
        }
        return out;
    }

    /** Per-query metrics (map, recip_rank, P_k, recall_k, ndcg, ndcg_cut_k) and their mean under "all". */
    public static Map<String, Map<String, Double>> evaluate(
            Map<String, Map<String, Double>> qrels, Map<String, Map<String, Double>> run, List<Integer> cutoffs) {
        Map<String, Map<String, Double>> perQuery = new TreeMap<>();
        for (var e : run.entrySet()) {
            Map<String, Double> judged = qrels.get(e.getKey());
            if (judged == null) {
                continue;
            }
            List<ScoredDoc> docs = new ArrayList<>();
            e.getValue().forEach((doc, score) -> docs.add(new ScoredDoc(doc, score, judged.getOrDefault(doc, 0.0))));
            List<ScoredDoc> ranked = RankingMetrics.rank(docs, TieBreak.DOC_ID);
            int numRel = (int) judged.values().stream().filter(r -> r > 0).count();
            List<Double> rels = new ArrayList<>(judged.values());
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("map", RankingMetrics.averagePrecision(ranked, numRel));
            m.put("recip_rank", RankingMetrics.reciprocalRank(ranked, 0));
            m.put("ndcg", RankingMetrics.ndcg(ranked, 0, rels));
            for (int k : cutoffs) {
                m.put("P_" + k, RankingMetrics.precision(ranked, k));
                m.put("recall_" + k, RankingMetrics.recall(ranked, k, numRel));
                m.put("ndcg_cut_" + k, RankingMetrics.ndcg(ranked, k, rels));
            }
            perQuery.put(e.getKey(), m);
        }
        Map<String, Double> mean = new LinkedHashMap<>();
        for (Map<String, Double> m : perQuery.values()) {
            m.forEach((k, v) -> mean.merge(k, v / perQuery.size(), Double::sum));
        }
        perQuery.put("all", mean);
        return perQuery;
    }

    private static List<String[]> fields(Path file, int count) {
        List<String[]> out = new ArrayList<>();
        try {
            int line = 0;
            for (String l : Files.readAllLines(file)) {
                line++;
                if (l.isBlank()) {
                    continue;
                }
                String[] f = l.trim().split("\\s+");
                if (f.length < count) {
                    throw new UserException(file + ":" + line + ": expected " + count + " fields, found " + f.length);
                }
                out.add(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }
}
