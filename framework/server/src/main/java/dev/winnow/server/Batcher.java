package dev.winnow.server;

import dev.winnow.api.text.Encoded;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Dynamic batching: requests arrive already tokenized; one worker thread (the only one touching the model) takes
 * the oldest waiting request and adds the next ones while the batch stays within the token budget and the request
 * cap, runs the model once over all their rows (the scorer sorts them by length inside), and hands each request
 * back exactly its own rows in its own order.
 */
final class Batcher<R> implements AutoCloseable {
    private record Job<R>(List<WinnowServer.Row> rows, int tokens, CompletableFuture<List<R>> result) {}

    /** What the worker saw: the batch sizes and tokens, for metrics. */
    interface Listener {
        void batch(int requests, int rows, int tokens);
    }

    private final ArrayDeque<Job<R>> queue = new ArrayDeque<>();
    private final Function<List<WinnowServer.Row>, List<R>> model;
    private final int maxTokens;
    private final int maxRequests;
    private final Listener listener;
    private final Thread worker;
    private boolean closed;

    Batcher(String name, Function<List<WinnowServer.Row>, List<R>> model, int maxTokens, int maxRequests, Listener listener) {
        this.model = model;
        this.maxTokens = maxTokens;
        this.maxRequests = maxRequests;
        this.listener = listener;
        this.worker = new Thread(this::loop, name);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    static int tokens(List<Encoded> rows) {
        int n = 0;
        for (Encoded e : rows) {
            n += e.ids().length;
        }
        return n;
    }

    private static int rowTokens(List<WinnowServer.Row> rows) {
        int n = 0;
        for (WinnowServer.Row r : rows) {
            n += r.encoded().ids().length;
        }
        return n;
    }

    /** Queues one request's rows; the future completes with one result per row, in order. */
    CompletableFuture<List<R>> submit(List<WinnowServer.Row> rows) {
        Job<R> job = new Job<>(rows, rowTokens(rows), new CompletableFuture<>());
        synchronized (queue) {
            if (closed) {
                job.result.completeExceptionally(new ApiError(503, "unavailable", "the server is shutting down"));
                return job.result;
            }
            queue.addLast(job);
            queue.notifyAll();
        }
        return job.result;
    }

    /** Requests waiting for the model. */
    int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void loop() {
        while (true) {
            List<Job<R>> batch = new ArrayList<>();
            synchronized (queue) {
                while (queue.isEmpty() && !closed) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                int tokens = 0;
                // the oldest request always goes, even alone over the budget; others join while they fit
                while (!queue.isEmpty() && batch.size() < maxRequests
                        && (batch.isEmpty() || tokens + queue.peekFirst().tokens <= maxTokens)) {
                    Job<R> j = queue.pollFirst();
                    tokens += j.tokens;
                    batch.add(j);
                }
            }
            run(batch);
        }
    }

    private void run(List<Job<R>> batch) {
        List<WinnowServer.Row> rows = new ArrayList<>();
        for (Job<R> j : batch) {
            rows.addAll(j.rows);
        }
        try {
            List<R> out = model.apply(rows);
            listener.batch(batch.size(), rows.size(), rowTokens(rows));
            int k = 0;
            for (Job<R> j : batch) {
                j.result.complete(List.copyOf(out.subList(k, k + j.rows.size())));
                k += j.rows.size();
            }
        } catch (RuntimeException | Error e) {
            for (Job<R> j : batch) {
                j.result.completeExceptionally(e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (queue) {
            closed = true;
            queue.notifyAll();
        }
        try {
            worker.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
