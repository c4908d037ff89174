package dev.winnow.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.TextPair;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Loading, failure, internal errors and graceful shutdown of the real server on a loopback port. */
class ServerLifecycleTest {
    static CrossEncoder minilm() {
        return CrossEncoder.builder(ServerTest.MINILM).optMaxLength(32).optDevice("cpu").build();
    }

    static ServerOptions options() {
        return ServerOptions.builder().port(0).shutdownGraceMillis(20_000).build();
    }

    static ServerTest.Reply post(WinnowServer s, Object body) throws Exception {
        return ServerTest.post(s, "/rerank", body);
    }

    @Test
    void healthIs503WhileLoadingAndAfterAFailedLoad() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (WinnowServer s = WinnowServer.loadingReranker(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return minilm();
        }, options()).start()) {
            ServerTest.Reply health = ServerTest.call(s, "GET", "/health", null);
            assertEquals(503, health.status());
            assertEquals("loading", health.body().get("status").asText());
            ServerTest.Reply early = post(s, Map.of("query", "q", "texts", List.of("a")));
            assertEquals(503, early.status());
            assertTrue(early.body().get("error").asText().contains("loading"), early.raw().body());
            release.countDown();
            s.awaitLoaded();
            assertEquals(200, ServerTest.call(s, "GET", "/health", null).status());
            assertEquals(200, post(s, Map.of("query", "q", "texts", List.of("a"))).status());
        }
        try (WinnowServer s = WinnowServer.loadingReranker(() -> {
            throw new IllegalStateException("weights are corrupt");
        }, options()).start()) {
            assertThrows(IllegalStateException.class, s::awaitLoaded);
            ServerTest.Reply health = ServerTest.call(s, "GET", "/health", null);
            assertEquals(503, health.status());
            assertEquals("failed", health.body().get("status").asText());
            assertEquals(503, post(s, Map.of("query", "q", "texts", List.of("a"))).status());
        }
    }

    /** A model closed under the server: a real failure inside the request, 500 with an id that the log has. */
    @Test
    void internalErrorIs500WithAnIdThatIsInTheLog() throws Exception {
        Logger log = (Logger) LoggerFactory.getLogger(WinnowServer.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        log.addAppender(events);
        CrossEncoder model = minilm();
        try (WinnowServer s = WinnowServer.reranker(model, options()).start()) {
            s.awaitLoaded();
            model.close();
            ServerTest.Reply r = post(s, Map.of("query", "q", "texts", List.of("a document")));
            assertEquals(500, r.status(), r.raw().body());
            assertEquals("internal", r.body().get("error_type").asText());
            Matcher m = Pattern.compile("id ([0-9a-f-]{36})").matcher(r.body().get("error").asText());
            assertTrue(m.find(), r.raw().body());
            String id = m.group(1);
            assertFalse(r.raw().body().contains("Exception") || r.raw().body().contains("\tat "), r.raw().body());
            ILoggingEvent logged = events.list.stream().filter(e -> e.getFormattedMessage().contains(id)).findFirst()
                    .orElseThrow(() -> new AssertionError("id " + id + " not in the log"));
            assertTrue(logged.getThrowableProxy() != null, "the log has the stack trace");
            assertEquals(200, ServerTest.call(s, "GET", "/health", null).status(), "one failed request is not fatal");
        } finally {
            log.detachAppender(events);
        }
    }

    /**
     * Graceful stop: a request held inside the model when the stop begins still gets its scores; new requests meanwhile
     * get 503 and /health 503; afterwards the port is closed.
     */
    @Test
    void closeFinishesRequestsInFlightThenStops() throws Exception {
        List<String> docs = List.of("the roman empire", "bread and butter", "emperor augustus");
        float[] ref;
        try (CrossEncoder r = minilm()) {
            ref = r.predict(docs.stream().map(d -> new TextPair("rome", d)).toList());
        }
        WinnowServer s = WinnowServer.reranker(minilm(), options()).start();
        s.awaitLoaded();
        int port = s.port();
        s.modelGate.acquire(); // the next batch waits inside the model
        CompletableFuture<ServerTest.Reply> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return post(s, Map.of("query", "rome", "texts", docs, "raw_scores", true));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long until = System.currentTimeMillis() + 20_000;
        while (s.modelGate.getQueueLength() == 0 && System.currentTimeMillis() < until) {
            Thread.sleep(5);
        }
        assertEquals(1, s.modelGate.getQueueLength(), "the request reached the model");
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(s::close);
        until = System.currentTimeMillis() + 20_000;
        ServerTest.Reply health;
        do {
            Thread.sleep(5);
            health = ServerTest.call(s, port, "GET", "/health", null);
        } while (health.status() == 200 && System.currentTimeMillis() < until);
        assertEquals(503, health.status());
        assertEquals("shutting down", health.body().get("status").asText());
        assertEquals(503, ServerTest.call(s, port, "POST", "/rerank", "{\"query\":\"q\",\"texts\":[\"a\"]}").status());
        assertFalse(stopping.isDone(), "close waits for the request in flight");
        s.modelGate.release();
        ServerTest.Reply r = inFlight.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.status(), r.raw().body());
        for (JsonNode row : r.body()) {
            assertEquals(ref[row.get("index").asInt()], row.get("score").floatValue());
        }
        stopping.get(60, TimeUnit.SECONDS);
        Exception refused = assertThrows(Exception.class, () -> ServerTest.call(s, port, "GET", "/health", null));
        assertTrue(refused instanceof ConnectException || refused.getCause() instanceof ConnectException, refused.toString());
    }
}
