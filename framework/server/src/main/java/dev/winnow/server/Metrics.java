package dev.winnow.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/** The server's Prometheus metrics, in its own registry (several servers in one JVM do not collide). */
final class Metrics {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter requests = Counter.builder().name("winnow_requests_total")
            .help("HTTP requests by route and status").labelNames("route", "status").register(registry);
    final Histogram latency = Histogram.builder().name("winnow_request_duration_seconds")
            .help("request latency by route").labelNames("route").classicOnly().register(registry);
    final Histogram batchRequests = Histogram.builder().name("winnow_batch_requests")
            .help("requests per model batch").classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
    final Histogram batchRows = Histogram.builder().name("winnow_batch_rows")
            .help("rows (pairs or texts) per model batch").classicOnly()
            .classicUpperBounds(1, 4, 16, 64, 256, 1024, 4096).register(registry);
    final Counter batchTokens = Counter.builder().name("winnow_batch_tokens_total")
            .help("tokens run through the model").register(registry);
    final Counter inputs = Counter.builder().name("winnow_inputs_total")
            .help("inputs tokenized").register(registry);
    final Counter truncated = Counter.builder().name("winnow_inputs_truncated_total")
            .help("inputs cut at the model's max length").register(registry);

    Metrics(IntSupplier queued, IntSupplier inFlight) {
        GaugeWithCallback.builder().name("winnow_queue_size").help("requests waiting for the model")
                .callback(cb -> cb.call(queued.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("winnow_requests_in_flight").help("requests being served")
                .callback(cb -> cb.call(inFlight.getAsInt())).register(registry);
    }

    void batch(int requests, int rows, int tokens) {
        batchRequests.observe(requests);
        batchRows.observe(rows);
        batchTokens.inc(tokens);
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
