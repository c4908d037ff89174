package dev.winnow.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.server.ServerOptions;
import dev.winnow.server.WinnowServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code serve}: all-MiniLM-L6-v2 as a cross-encoder behind {@code runner serve}'s server on loopback, POST /rerank
 * with 20 documents of ~100 tokens per request, at 1, 8 and 32 concurrent clients: requests/s and client-side
 * latency p50/p99, beside the same requests scored in-process one after another by {@code CrossEncoder.predict}, so
 * the HTTP + batching overhead (or gain) is a printed ratio. Served scores are checked bit-equal to predict's. The
 * load average before and after is printed (the machine may be shared). {@code -Dserve.requests=N}: requests
 * in-process and per served level, at least one per client (default 64).
 */
final class ServeBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int DOCS = 20;
    static final int DOC_WORDS = 85; // ~100 word-piece tokens with the query and special tokens

    private ServeBench() {}

    static void run() throws Exception {
        int base = Integer.getInteger("serve.requests", 64);
        double before = load();
        List<List<String>> bodies = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(13);
        String[] vocabulary = ("the roman empire was ruled by emperors from rome for centuries while bread markets grew "
                + "and soldiers marched along roads built of stone across many provinces with taxes law trade ships "
                + "senate consul legion temple city river bridge aqueduct harbour grain wine olive coin").split(" ");
        for (int r = 0; r < 8; r++) { // 8 distinct requests, cycled
            List<String> docs = new ArrayList<>();
            for (int d = 0; d < DOCS; d++) {
                StringBuilder sb = new StringBuilder();
                int words = DOC_WORDS - 8 + random.nextInt(17);
                for (int w = 0; w < words; w++) {
                    sb.append(vocabulary[random.nextInt(vocabulary.length)]).append(' ');
                }
                docs.add(sb.toString().trim());
            }
            bodies.add(docs);
            queries.add("who ruled rome " + r);
        }
        try (CrossEncoder reference = CrossEncoder.builder(Bench.MINILM).optMaxLength(256).build()) {
            int tokens = 0;
            for (String d : bodies.get(0)) {
                tokens += reference.scorer().render(List.of(new dev.winnow.api.text.TemplateInput(queries.get(0), d, null)))
                        .get(0).ids().length;
            }
            System.out.printf(Locale.ROOT, "serve | all-MiniLM-L6-v2 cross-encoder | %d documents x %.0f tokens per request | %d requests"
                    + " in-process, max(%d, clients) per served level%n", DOCS, tokens / (double) DOCS, base, base);
            int requests = base;
            float[][] expected = new float[bodies.size()][];
            for (int r = 0; r < bodies.size(); r++) { // warm-up and the reference scores
                expected[r] = reference.predict(pairs(queries.get(r), bodies.get(r)));
            }
            double[] local = new double[requests];
            long t0 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                long s = System.nanoTime();
                reference.predict(pairs(queries.get(i % bodies.size()), bodies.get(i % bodies.size())));
                local[i] = (System.nanoTime() - s) / 1e9;
            }
            double localRps = requests / ((System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "serve | in-process predict, 1 caller | %.2f requests/s | p50 %.0f ms | p99 %.0f ms%n",
                    localRps, pct(local, 50) * 1e3, pct(local, 99) * 1e3);

            try (WinnowServer server = WinnowServer.reranker(CrossEncoder.builder(Bench.MINILM).optMaxLength(256).build(),
                    ServerOptions.builder().port(0).build()).start()) {
                // The client's pool is shut down after the run: its non-daemon threads kept the benchmark's JVM alive.
                ExecutorService httpPool = Executors.newFixedThreadPool(8);
                HttpClient http = HttpClient.newBuilder().executor(httpPool).build();
                try {
                URI uri = URI.create("http://127.0.0.1:" + server.port() + "/rerank");
                for (int w = 0; w < 2; w++) {
                    call(http, uri, queries.get(w), bodies.get(w), expected[w]);
                }
                for (int clients : new int[] {1, 8, 32}) {
                    int calls = Math.max(base, clients);
                    double[] latency = new double[calls];
                    AtomicInteger next = new AtomicInteger();
                    AtomicInteger mismatches = new AtomicInteger();
                    ExecutorService pool = Executors.newFixedThreadPool(clients);
                    long start = System.nanoTime();
                    List<Future<?>> futures = new ArrayList<>();
                    for (int c = 0; c < clients; c++) {
                        futures.add(pool.submit(() -> {
                            for (int i; (i = next.getAndIncrement()) < calls; ) {
                                int r = i % bodies.size();
                                long s = System.nanoTime();
                                if (!call(http, uri, queries.get(r), bodies.get(r), expected[r])) {
                                    mismatches.incrementAndGet();
                                }
                                latency[i] = (System.nanoTime() - s) / 1e9;
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                    double rps = calls / ((System.nanoTime() - start) / 1e9);
                    pool.shutdown();
                    System.out.printf(Locale.ROOT, "serve | POST /rerank, %2d clients | %.2f requests/s (%.2fx in-process) | p50 %.0f ms | p99 %.0f ms"
                            + " | scores bit-equal to predict: %s%n", clients, rps, rps / localRps, pct(latency, 50) * 1e3,
                            pct(latency, 99) * 1e3, mismatches.get() == 0 ? "all" : mismatches.get() + " requests differ");
                }
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                for (String line : metrics.split("\n")) {
                    if (line.startsWith("winnow_batch_requests_sum") || line.startsWith("winnow_batch_requests_count")) {
                        System.out.println("serve | " + line);
                    }
                }
                } finally {
                    httpPool.shutdownNow();
                }
            }
        }
        System.out.printf(Locale.ROOT, "serve | load average %.2f before, %.2f after, %d CPU threads%n", before, load(),
                Runtime.getRuntime().availableProcessors());
    }

    private static List<TextPair> pairs(String query, List<String> docs) {
        return docs.stream().map(d -> new TextPair(query, d)).toList();
    }

    /** One /rerank call; true when every raw score equals predict's, bit for bit. */
    private static boolean call(HttpClient http, URI uri, String query, List<String> docs, float[] expected) throws Exception {
        String body = JSON.writeValueAsString(Map.of("query", query, "texts", docs, "raw_scores", true));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST /rerank answered " + r.statusCode() + ": " + r.body());
        }
        JsonNode rows = JSON.readTree(r.body());
        boolean equal = rows.size() == expected.length;
        for (JsonNode row : rows) {
            equal &= Float.floatToIntBits(row.get("score").floatValue()) == Float.floatToIntBits(expected[row.get("index").asInt()]);
        }
        return equal;
    }

    private static double pct(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
