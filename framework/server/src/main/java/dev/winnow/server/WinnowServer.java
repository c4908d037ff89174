package dev.winnow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.api.UserException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rerank / embedding server behind {@code runner serve}: TEI ({@code /rerank}, {@code /embed}, {@code /info}),
 * Cohere/Jina as vLLM serves it ({@code /v1/rerank}), OpenAI ({@code /v1/embeddings}), {@code /health} and
 * {@code /metrics}. Requests are tokenized on arrival and batched across requests by one worker per model. Served
 * scores and vectors equal {@code CrossEncoder.predict} / {@code Embedder.encode} on the same inputs bit for bit,
 * whatever the batch composition: both run each row in a canonical shape of its own ({@code TextVectors.encodeExact}).
 *
 * <pre>{@code
 * try (WinnowServer server = WinnowServer.reranker(CrossEncoder.load(dir), ServerOptions.builder().port(0).build())) {
 *     server.start();
 *     ... http://127.0.0.1:server.port()/rerank ...
 * }
 * }</pre>
 */
public final class WinnowServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WinnowServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the loaded model serves. */
    public enum Task { RERANK, EMBED }

    /** One row for the model: its tokens and, for an embedder, whether its vector is L2-normalised. */
    record Row(Encoded encoded, boolean normalize) {}

    private final ServerOptions options;
    private final Task task;
    private final Supplier<? extends AutoCloseable> loader;
    private final boolean async;
    private volatile @Nullable CrossEncoder reranker;
    private volatile @Nullable Embedder embedder;
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    /** Held by each model batch; tests hold it to keep a request in flight. */
    final Semaphore modelGate = new Semaphore(1);
    private final Batcher<float[]> batcher;
    private final Metrics metrics;
    private final Semaphore slots;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final @Nullable byte[] apiKey;
    private volatile boolean healthy = true;
    private volatile boolean draining;
    private @Nullable Javalin app;

    private WinnowServer(ServerOptions options, Task task, Supplier<? extends AutoCloseable> loader, boolean async) {
        this.options = options;
        this.task = task;
        this.loader = loader;
        this.async = async;
        this.slots = new Semaphore(options.maxConcurrentRequests());
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.metrics = new Metrics(this::queued, inFlight::get);
        this.batcher = new Batcher<>("winnow-batcher", this::runModel, options.maxBatchTokens(),
                options.maxBatchRequests(), metrics::batch);
    }

    /** A server for a cross-encoder or generative reranker; it owns (and closes) the model. */
    public static WinnowServer reranker(CrossEncoder model, ServerOptions options) {
        return new WinnowServer(options, Task.RERANK, () -> model, false);
    }

    /**
     * An embedding model's server; it owns (and closes) the model. Requests with {@code normalize: false} need an
     * embedder loaded with {@code normalize = false} (it gives normalised vectors too, the same bits as a normalising
     * one); a normalising embedder answers them 422.
     */
    public static WinnowServer embedder(Embedder model, ServerOptions options) {
        return new WinnowServer(options, Task.EMBED, () -> model, false);
    }

    /**
     * A reranker server that listens while {@code loader} loads the model on its own thread ({@link #start}):
     * /health and the model routes answer 503 until it is loaded, and after a failed load.
     */
    public static WinnowServer loadingReranker(Supplier<CrossEncoder> loader, ServerOptions options) {
        return new WinnowServer(options, Task.RERANK, loader, true);
    }

    /** As {@link #loadingReranker}, for an embedding model. */
    public static WinnowServer loadingEmbedder(Supplier<Embedder> loader, ServerOptions options) {
        return new WinnowServer(options, Task.EMBED, loader, true);
    }

    public Task task() {
        return task;
    }

    /** Waits until the model is loaded; rethrows what the load threw. */
    public void awaitLoaded() {
        try {
            loaded.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model loads", e);
        }
    }

    private void load() {
        try {
            AutoCloseable model = loader.get();
            if (model instanceof CrossEncoder ce) {
                reranker = ce;
            } else {
                embedder = (Embedder) model;
            }
            loaded.complete(null);
            LOG.info("model loaded: {} ({})", options.modelName(), task);
        } catch (RuntimeException | Error e) {
            healthy = false;
            LOG.error("loading {} failed; /health answers 503", options.modelName(), e);
            loaded.completeExceptionally(e);
        }
    }

    private CrossEncoder reranker() {
        ready();
        return java.util.Objects.requireNonNull(reranker);
    }

    private Embedder embedder() {
        ready();
        return java.util.Objects.requireNonNull(embedder);
    }

    private void ready() {
        if (!loaded.isDone()) {
            throw new ApiError(503, "loading", "the model is still loading; retry when GET /health answers 200");
        }
        if (loaded.isCompletedExceptionally()) {
            throw new ApiError(503, "unavailable", "the model failed to load (see the server log)");
        }
    }

    private int queued() {
        return batcher.queued();
    }

    /**
     * The model batch: rows of several requests, tokenized, in request order; one result row each. For a reranker a
     * one-element array (the raw score), for an embedder the full vector (Matryoshka truncation is applied per
     * request afterwards, as {@code Embedder.truncated} does it).
     */
    private List<float[]> runModel(List<Row> rows) {
        modelGate.acquireUninterruptibly();
        try {
            List<float[]> out = new ArrayList<>(rows.size());
            if (task == Task.RERANK) {
                List<Encoded> encoded = new ArrayList<>(rows.size());
                for (Row r : rows) {
                    encoded.add(r.encoded());
                }
                for (float s : reranker().scorer().scoreEncoded(encoded)) {
                    out.add(new float[] {s});
                }
                return out;
            }
            // normalised and raw rows in two calls: a row's vector does not depend on the rows it is computed with
            float[][] result = new float[rows.size()][];
            for (boolean normalize : new boolean[] {true, false}) {
                List<Encoded> encoded = new ArrayList<>();
                List<Integer> at = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    if (rows.get(i).normalize() == normalize) {
                        encoded.add(rows.get(i).encoded());
                        at.add(i);
                    }
                }
                if (!encoded.isEmpty()) {
                    float[][] v = embedder().vectors(encoded, normalize);
                    for (int k = 0; k < v.length; k++) {
                        result[at.get(k)] = v[k];
                    }
                }
            }
            out.addAll(java.util.Arrays.asList(result));
            return out;
        } finally {
            modelGate.release();
        }
    }

    /** Starts listening (port 0: any free port, see {@link #port()}). */
    public synchronized WinnowServer start() {
        Javalin javalin = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = options.payloadLimit();
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.routes.before(this::authorize);
            route(config, "GET", "/health", ctx -> {
                boolean ok = healthy && !draining && loaded.isDone();
                ctx.status(ok ? 200 : 503);
                send(ctx, JSON.createObjectNode().put("status", ok ? "ok" : draining ? "shutting down"
                        : !healthy ? "failed" : "loading"));
            });
            route(config, "GET", "/info", this::info);
            route(config, "GET", "/metrics", ctx -> {
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8");
                ctx.result(metrics.scrape());
            });
            route(config, "POST", "/rerank", ctx -> served(ctx, Task.RERANK, this::teiRerank));
            route(config, "POST", "/v1/rerank", ctx -> served(ctx, Task.RERANK, this::cohereRerank));
            route(config, "POST", "/embed", ctx -> served(ctx, Task.EMBED, this::teiEmbed));
            route(config, "POST", "/v1/embeddings", ctx -> served(ctx, Task.EMBED, this::openAiEmbed));
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.type(), e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> internal(ctx, e));
            config.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path()
                            + "; routes: POST /rerank, /v1/rerank, /embed, /v1/embeddings; GET /info, /health, /metrics");
                }
            });
            config.routes.error(413, "*", ctx -> {
                if (ctx.result() == null || !ctx.result().startsWith("{")) {
                    error(ctx, 413, "payload_too_large", "request body over --payload-limit " + options.payloadLimit() + " bytes");
                }
            });
        });
        javalin.start();
        app = javalin;
        LOG.info("listening for {} ({}) on http://{}:{}", options.modelName(), task(), options.host(), javalin.port());
        if (async) {
            Thread t = new Thread(this::load, "winnow-model-loader");
            t.setDaemon(true);
            t.start();
        } else {
            load();
        }
        return this;
    }

    /** The port listened on (the real one when started with port 0). */
    public int port() {
        if (app == null) {
            throw new IllegalStateException("server not started");
        }
        return app.port();
    }

    private void route(io.javalin.config.JavalinConfig config, String method, String path, Handler handler) {
        Handler timed = ctx -> {
            long t0 = System.nanoTime();
            try {
                handler.handle(ctx);
            } finally {
                metrics.latency.labelValues(path).observe((System.nanoTime() - t0) / 1e9);
            }
        };
        if (method.equals("GET")) {
            config.routes.get(path, timed);
        } else {
            config.routes.post(path, timed);
        }
        config.routes.after(path, ctx -> metrics.requests.labelValues(path, Integer.toString(ctx.statusCode())).inc());
    }

    private void authorize(Context ctx) {
        if (apiKey == null || ctx.path().equals("/health")) {
            return;
        }
        String h = ctx.header("Authorization");
        byte[] given = h != null && h.startsWith("Bearer ") ? h.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        // MessageDigest.isEqual compares in time independent of where the bytes differ
        if (!MessageDigest.isEqual(given, apiKey)) {
            throw new ApiError(401, "unauthorized", "missing or wrong API key: send Authorization: Bearer <key>");
        }
    }

    private interface Body {
        Object handle(JsonNode body) throws Exception;
    }

    /** Admission (429 beyond --max-concurrent-requests, 503 while draining), JSON parsing, task check. */
    private void served(Context ctx, Task needs, Body body) throws Exception {
        if (draining) {
            throw new ApiError(503, "unavailable", "the server is shutting down");
        }
        ready();
        if (needs != task()) {
            throw new ApiError(424, "wrong_task", "this server's model is " + (task() == Task.RERANK
                    ? "a reranker: use POST /rerank or /v1/rerank" : "an embedding model: use POST /embed or /v1/embeddings"));
        }
        if (!slots.tryAcquire()) {
            ctx.header("Retry-After", "1");
            throw new ApiError(429, "overloaded", "over --max-concurrent-requests " + options.maxConcurrentRequests()
                    + " requests in flight; retry after 1 s");
        }
        inFlight.incrementAndGet();
        try {
            byte[] raw = ctx.bodyAsBytes();
            if (raw.length > options.payloadLimit()) {
                throw new ApiError(413, "payload_too_large", "request body of " + raw.length
                        + " bytes is over --payload-limit " + options.payloadLimit());
            }
            JsonNode json;
            try {
                json = JSON.readTree(raw);
            } catch (JsonProcessingException e) {
                throw new ApiError(422, "invalid_json", "malformed JSON at line " + e.getLocation().getLineNr()
                        + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
            }
            if (json == null || !json.isObject()) {
                throw new ApiError(422, "invalid_request", "the request body must be a JSON object");
            }
            send(ctx, body.handle(json));
        } finally {
            inFlight.decrementAndGet();
            slots.release();
        }
    }

    // ---- request fields -------------------------------------------------------------------------------------

    private static String string(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' is required (a string)");
        }
        if (!n.isTextual()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' must be a string, got " + n.getNodeType().toString().toLowerCase());
        }
        return n.asText();
    }

    private static @Nullable String optionalString(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' must be a string");
        }
        return n.asText();
    }

    private static boolean bool(JsonNode body, String field, boolean dflt) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' must be true or false");
        }
        return n.asBoolean();
    }

    private static int integer(JsonNode body, String field, int dflt) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' must be an integer");
        }
        return n.asInt();
    }

    /** A string or a list of strings (TEI inputs, OpenAI input), or a required list (texts, documents). */
    private List<String> strings(JsonNode body, String field, boolean single) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            throw new ApiError(422, "invalid_request", "field '" + field + "' is required (" + (single ? "a string or " : "") + "a list of strings)");
        }
        List<String> out = new ArrayList<>();
        if (single && n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (e.isTextual()) {
                    out.add(e.asText());
                } else if (e.isObject() && e.path("text").isTextual()) {
                    out.add(e.get("text").asText()); // Cohere also takes {text} documents
                } else {
                    throw new ApiError(422, "invalid_request", "field '" + field + "[" + i + "]' must be a string");
                }
            }
        } else {
            throw new ApiError(422, "invalid_request", "field '" + field + "' must be " + (single ? "a string or " : "") + "a list of strings");
        }
        if (out.isEmpty()) {
            throw new ApiError(400, "empty_input", "field '" + field + "' is empty: send at least one text");
        }
        if (out.size() > options.maxClientBatchSize()) {
            throw new ApiError(413, "client_batch_too_large", "field '" + field + "' has " + out.size()
                    + " texts, over --max-client-batch-size " + options.maxClientBatchSize());
        }
        return out;
    }

    /** TEI's truncation_direction: true for left (cut the start of the text), false for right (the default). */
    private static boolean left(JsonNode body) {
        String d = optionalString(body, "truncation_direction");
        if (d == null || d.equalsIgnoreCase("right")) {
            return false;
        }
        if (d.equalsIgnoreCase("left")) {
            return true;
        }
        throw new ApiError(422, "invalid_request", "field 'truncation_direction' must be left or right, got '" + d + "'");
    }

    /**
     * Left truncation of one input that the (right-cutting) tokenizer cut: the longest run of whole words at the
     * text's end whose encoding fits (found by bisection over word starts), or, when even the last word does not fit,
     * the longest run of its last characters. The query, instruction, prompt and special tokens stay; the result is
     * marked truncated. When even the empty text does not fit (a query over the max length) the right cut stays.
     */
    private static Encoded cutLeft(String text, Encoded rightCut, java.util.function.Function<String, Encoded> encode) {
        if (encode.apply("").truncated()) {
            return rightCut;
        }
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isWhitespace(text.charAt(i)) && (i == 0 || Character.isWhitespace(text.charAt(i - 1)))) {
                starts.add(i);
            }
        }
        // starts.get(0) is known not to fit (the whole text was cut); find the first word start that fits
        int lo = 1;
        int hi = starts.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (encode.apply(text.substring(starts.get(mid))).truncated()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int begin;
        if (lo < starts.size()) {
            begin = starts.get(lo);
        } else { // the last word alone is too long: its shortest cut start that fits, by characters
            int clo = starts.isEmpty() ? 0 : starts.get(starts.size() - 1);
            int chi = text.length();
            while (clo < chi) {
                int mid = start(text, (clo + chi) >>> 1);
                if (mid >= chi) {
                    break;
                }
                if (encode.apply(text.substring(mid)).truncated()) {
                    clo = mid + 1;
                } else {
                    chi = mid;
                }
            }
            begin = chi;
        }
        Encoded e = encode.apply(text.substring(Math.min(begin, text.length())));
        return new Encoded(e.ids(), e.typeIds(), true);
    }

    /** {@code i} moved off the low half of a surrogate pair. */
    private static int start(String text, int i) {
        return i > 0 && i < text.length() && Character.isLowSurrogate(text.charAt(i)) ? i + 1 : i;
    }

    /** Counts truncations; refuses them (413) when the request says truncate: false. */
    private void checkTruncation(List<Encoded> rows, boolean truncate, int maxLength) {
        int cut = 0;
        for (Encoded e : rows) {
            if (e.truncated()) {
                cut++;
            }
        }
        metrics.inputs.inc(rows.size());
        if (cut > 0 && !truncate) {
            throw new ApiError(413, "input_too_long", cut + " of " + rows.size() + " inputs are longer than the model's max length "
                    + maxLength + " tokens and truncate is false");
        }
        metrics.truncated.inc(cut);
    }

    private List<float[]> await(List<Encoded> encoded, boolean normalize) throws Exception {
        List<Row> rows = new ArrayList<>(encoded.size());
        for (Encoded e : encoded) {
            rows.add(new Row(e, normalize));
        }
        try {
            return batcher.submit(rows).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception c) {
                throw c;
            }
            throw e;
        }
    }

    // ---- reranking ------------------------------------------------------------------------------------------

    /** Raw scores of one request's documents, in order, and the tokens they took. */
    private record Scored(float[] scores, int tokens) {}

    private Scored rerankScores(String query, List<String> docs, @Nullable String instruction, boolean truncate, boolean left)
            throws Exception {
        List<TemplateInput> pairs = new ArrayList<>(docs.size());
        for (String d : docs) {
            pairs.add(new TemplateInput(query, d, instruction));
        }
        var scorer = reranker().scorer();
        List<Encoded> rows = new ArrayList<>(scorer.render(pairs));
        checkTruncation(rows, truncate, scorer.maxLength());
        if (left) {
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).truncated()) {
                    rows.set(i, cutLeft(docs.get(i), rows.get(i),
                            d -> scorer.render(List.of(new TemplateInput(query, d, instruction))).get(0)));
                }
            }
        }
        List<float[]> out = await(rows, false);
        float[] scores = new float[out.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = out.get(i)[0];
        }
        return new Scored(scores, Batcher.tokens(rows));
    }

    private static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    private static List<Integer> byScore(float[] scores) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
        return order;
    }

    private Object teiRerank(JsonNode body) throws Exception {
        known(body, "query", "texts", "truncate", "truncation_direction", "raw_scores", "return_text", "instruction");
        String query = string(body, "query");
        List<String> texts = strings(body, "texts", false);
        boolean left = left(body);
        boolean raw = bool(body, "raw_scores", false);
        boolean returnText = bool(body, "return_text", false);
        float[] scores = rerankScores(query, texts, optionalString(body, "instruction"), bool(body, "truncate", true), left).scores();
        ArrayNode out = JSON.createArrayNode();
        for (int i : byScore(scores)) {
            ObjectNode r = out.addObject().put("index", i).put("score", raw ? scores[i] : sigmoid(scores[i]));
            if (returnText) {
                r.put("text", texts.get(i));
            }
        }
        return out;
    }

    private Object cohereRerank(JsonNode body) throws Exception {
        known(body, "model", "query", "documents", "top_n", "return_documents", "instruction", "truncate");
        String query = string(body, "query");
        List<String> docs = strings(body, "documents", false);
        int topN = integer(body, "top_n", docs.size());
        if (topN < 1) {
            throw new ApiError(422, "invalid_request", "field 'top_n' must be at least 1");
        }
        boolean returnDocs = bool(body, "return_documents", false);
        Scored scored = rerankScores(query, docs, optionalString(body, "instruction"), bool(body, "truncate", true), false);
        float[] scores = scored.scores();
        ObjectNode out = JSON.createObjectNode().put("id", "rerank-" + UUID.randomUUID()).put("model", options.modelName());
        ArrayNode results = out.putArray("results");
        List<Integer> order = byScore(scores);
        for (int i : order.subList(0, Math.min(topN, order.size()))) {
            ObjectNode r = results.addObject().put("index", i).put("relevance_score", sigmoid(scores[i]));
            if (returnDocs) {
                r.putObject("document").put("text", docs.get(i));
            }
        }
        out.putObject("usage").put("prompt_tokens", scored.tokens()).put("total_tokens", scored.tokens());
        return out;
    }

    // ---- embeddings -----------------------------------------------------------------------------------------

    /** Vectors of one request's texts, in order, and the tokens they took. */
    private record Vectors(float[][] vectors, int tokens) {}

    private Vectors embedVectors(List<String> texts, @Nullable String promptName, boolean truncate, int dimensions, boolean normalize,
            boolean left) throws Exception {
        Embedder embedder = embedder();
        String prompt = "";
        if (promptName != null) {
            prompt = switch (promptName) {
                case "query" -> embedder.queryPrompt();
                case "document" -> embedder.documentPrompt();
                default -> throw new ApiError(422, "invalid_request", "prompt_name '" + promptName
                        + "' is not one of the model's prompts: query, document");
            };
        }
        if (!normalize && embedder.normalizes()) {
            throw new ApiError(422, "invalid_request", "normalize: false needs an embedder loaded with normalize = false"
                    + " (runner serve loads it so); this server's embedder normalises inside the model");
        }
        List<Encoded> rows = new ArrayList<>(embedder.tokenize(texts, prompt));
        checkTruncation(rows, truncate, embedder.maxLength());
        if (left) {
            String p = prompt;
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).truncated()) {
                    rows.set(i, cutLeft(texts.get(i), rows.get(i), t -> embedder.tokenize(List.of(t), p).get(0)));
                }
            }
        }
        List<float[]> out = await(rows, normalize);
        float[][] vectors = new float[out.size()][];
        for (int i = 0; i < vectors.length; i++) {
            float[] v = out.get(i);
            if (dimensions > 0) {
                if (dimensions > v.length) {
                    throw new ApiError(422, "invalid_request", "field 'dimensions' " + dimensions
                            + " is over the model's " + v.length + " dimensions");
                }
                v = java.util.Arrays.copyOf(v, dimensions);
            }
            vectors[i] = dimensions > 0 && normalize ? normalized(v) : v;
        }
        return new Vectors(vectors, Batcher.tokens(rows));
    }

    /** L2 normalisation, as Embedder.truncated re-normalises. */
    private static float[] normalized(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        float[] out = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = v[j] * inv;
        }
        return out;
    }

    private static int dimensions(JsonNode body) {
        int d = integer(body, "dimensions", 0);
        if (body.hasNonNull("dimensions") && d < 1) {
            throw new ApiError(422, "invalid_request", "field 'dimensions' must be at least 1");
        }
        return d;
    }

    private Object teiEmbed(JsonNode body) throws Exception {
        known(body, "inputs", "normalize", "truncate", "truncation_direction", "prompt_name", "dimensions");
        List<String> inputs = strings(body, "inputs", true);
        boolean left = left(body);
        Vectors v = embedVectors(inputs, optionalString(body, "prompt_name"), bool(body, "truncate", true),
                dimensions(body), bool(body, "normalize", true), left);
        return v.vectors();
    }

    private Object openAiEmbed(JsonNode body) throws Exception {
        known(body, "input", "model", "encoding_format", "dimensions", "user", "prompt_name");
        List<String> inputs = strings(body, "input", true);
        String format = optionalString(body, "encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw new ApiError(422, "invalid_request", "field 'encoding_format' must be float or base64, got '" + format + "'");
        }
        Vectors v = embedVectors(inputs, optionalString(body, "prompt_name"), true, dimensions(body), true, false);
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < v.vectors().length; i++) {
            ObjectNode d = data.addObject().put("object", "embedding");
            if ("base64".equals(format)) {
                ByteBuffer b = ByteBuffer.allocate(v.vectors()[i].length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v.vectors()[i]) {
                    b.putFloat(x);
                }
                d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode e = d.putArray("embedding");
                for (float x : v.vectors()[i]) {
                    e.add(x);
                }
            }
            d.put("index", i);
        }
        out.put("model", options.modelName());
        out.putObject("usage").put("prompt_tokens", v.tokens()).put("total_tokens", v.tokens());
        return out;
    }

    private void info(Context ctx) {
        ObjectNode out = JSON.createObjectNode().put("model_id", options.modelName())
                .put("model_type", task() == Task.RERANK ? "reranker" : "embedding")
                .put("max_input_length", task() == Task.RERANK ? reranker().scorer().maxLength() : embedder().maxLength())
                .put("max_batch_tokens", options.maxBatchTokens())
                .put("max_batch_requests", options.maxBatchRequests())
                .put("max_concurrent_requests", options.maxConcurrentRequests())
                .put("max_client_batch_size", options.maxClientBatchSize())
                .put("payload_limit", options.payloadLimit())
                .put("version", "winnow");
        send(ctx, out);
    }

    /** An unknown request field is an error naming it (a typo such as "text" for "texts" must not pass silently). */
    private static void known(JsonNode body, String... fields) {
        List<String> valid = List.of(fields);
        var names = body.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!valid.contains(f)) {
                throw new ApiError(422, "invalid_request", "unknown field '" + f + "'; valid: " + String.join(", ", valid));
            }
        }
    }

    // ---- responses ------------------------------------------------------------------------------------------

    private static void send(Context ctx, Object body) {
        try {
            ctx.contentType("application/json");
            ctx.result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(Context ctx, int status, String type, String message) {
        ctx.status(status);
        send(ctx, JSON.createObjectNode().put("error", message).put("error_type", type));
    }

    /** An internal failure: 500 with an id that is also in the log (with the stack trace), never the trace itself. */
    private void internal(Context ctx, Exception e) {
        if (e instanceof UserException u) {
            error(ctx, 422, "invalid_request", u.getMessage());
            return;
        }
        String id = UUID.randomUUID().toString();
        LOG.error("internal error {} on {} {}", id, ctx.method(), ctx.path(), e);
        error(ctx, 500, "internal", "internal error, id " + id + " (see the server log)");
    }

    /** Takes {@code n} request slots (tests: a server at its concurrency limit without timing games). */
    boolean holdSlots(int n) {
        return slots.tryAcquire(n);
    }

    void releaseSlots(int n) {
        slots.release(n);
    }

    /** Marks the server failed: /health answers 503 (a model that cannot run any more). */
    public void markFailed() {
        healthy = false;
    }

    /**
     * Graceful stop: refuse new requests (503), wait for those in flight up to the grace deadline, stop the HTTP
     * server and the batcher, close the model.
     */
    @Override
    public synchronized void close() {
        draining = true;
        long deadline = System.currentTimeMillis() + options.shutdownGraceMillis();
        while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null) {
            app.stop();
            app = null;
        }
        try {
            loaded.get(Math.max(1, deadline - System.currentTimeMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // a failed or still running load: nothing to wait for (a load still running keeps its model)
        }
        batcher.close();
        CrossEncoder r = reranker;
        if (r != null) {
            r.close();
        }
        Embedder e = embedder;
        if (e != null) {
            e.close();
        }
    }
}
