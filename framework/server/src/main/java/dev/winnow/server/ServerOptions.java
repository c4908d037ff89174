package dev.winnow.server;

import dev.winnow.api.UserException;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@code runner serve} takes besides the model; every field has a default ({@link #builder()}).
 *
 * @param maxBatchTokens token budget of one model batch across requests
 * @param maxBatchRequests most requests in one model batch
 * @param maxConcurrentRequests requests in flight beyond which new ones get 429
 * @param maxClientBatchSize most texts/documents in one request (413 beyond)
 * @param payloadLimit most request body bytes (413 beyond)
 * @param apiKey when set, every route but /health needs {@code Authorization: Bearer <key>}
 * @param shutdownGraceMillis how long a stop waits for requests in flight
 */
public record ServerOptions(String host, int port, int maxBatchTokens, int maxBatchRequests, int maxConcurrentRequests,
        int maxClientBatchSize, long payloadLimit, @Nullable String apiKey, long shutdownGraceMillis, String modelName) {

    public ServerOptions {
        positive("max-batch-tokens", maxBatchTokens);
        positive("max-batch-requests", maxBatchRequests);
        positive("max-concurrent-requests", maxConcurrentRequests);
        positive("max-client-batch-size", maxClientBatchSize);
        positive("payload-limit", payloadLimit);
        if (port < 0 || port > 65535) {
            throw new UserException("--port must be 0..65535 (0: any free port), got " + port);
        }
        if (apiKey != null && apiKey.isEmpty()) {
            throw new UserException("--api-key must not be empty");
        }
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new UserException("--" + name + " must be at least 1, got " + v);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: 127.0.0.1:8080, 16384 batch tokens, 32 batch requests, 512 concurrent, 1000 texts, 2 MB. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private int maxBatchTokens = 16384;
        private int maxBatchRequests = 32;
        private int maxConcurrentRequests = 512;
        private int maxClientBatchSize = 1000;
        private long payloadLimit = 2_000_000;
        private @Nullable String apiKey;
        private long shutdownGraceMillis = 30_000;
        private String modelName = "winnow";

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder maxBatchTokens(int v) { maxBatchTokens = v; return this; }
        public Builder maxBatchRequests(int v) { maxBatchRequests = v; return this; }
        public Builder maxConcurrentRequests(int v) { maxConcurrentRequests = v; return this; }
        public Builder maxClientBatchSize(int v) { maxClientBatchSize = v; return this; }
        public Builder payloadLimit(long v) { payloadLimit = v; return this; }
        public Builder apiKey(@Nullable String v) { apiKey = v; return this; }
        public Builder shutdownGraceMillis(long v) { shutdownGraceMillis = v; return this; }
        public Builder modelName(String v) { modelName = v; return this; }

        public ServerOptions build() {
            return new ServerOptions(host, port, maxBatchTokens, maxBatchRequests, maxConcurrentRequests,
                    maxClientBatchSize, payloadLimit, apiKey, shutdownGraceMillis, modelName);
        }
    }
}
