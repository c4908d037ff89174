package dev.winnow.cli;

import dev.winnow.api.UserException;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.server.ServerOptions;
import dev.winnow.server.WinnowServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code runner serve}: serves a reranker or an embedding model over HTTP until SIGTERM / Ctrl-C. */
final class ServeCommand implements Command {
    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "serve a reranker or embedding model over HTTP (TEI, Cohere/vLLM and OpenAI routes)";
    }

    @Override
    public String help() {
        return """
                runner serve --model <dir|hub-id|maven:...> [--task auto|rerank|embed] [--host 127.0.0.1] [--port 8080]
                             [--max-length 512] [--max-batch-tokens 16384] [--max-batch-requests 32]
                             [--max-concurrent-requests 512] [--max-client-batch-size 1000] [--payload-limit 2000000]
                             [--api-key K (or WINNOW_API_KEY)] [--shutdown-grace-ms 30000] [--device auto] [--name NAME]

                Routes: POST /rerank /v1/rerank (rerankers), POST /embed /v1/embeddings (embedding models),
                GET /info /health /metrics. --task auto serves embeddings for a sentence-transformers model
                (1_Pooling/ or modules.json in its directory), reranking otherwise. SIGTERM stops accepting, finishes
                requests in flight (up to --shutdown-grace-ms) and exits 0. See README "Serving".""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of("model", "task", "host", "port", "max-length", "max-batch-tokens",
                "max-batch-requests", "max-concurrent-requests", "max-client-batch-size", "payload-limit", "api-key",
                "shutdown-grace-ms", "device", "name"), Set.of());
        String model = args.required("model");
        String task = opt(args, "task", "auto");
        if (!Set.of("auto", "rerank", "embed").contains(task)) {
            throw new UserException("runner serve: --task must be auto, rerank or embed, got '" + task + "'");
        }
        String apiKey = args.option("api-key") != null ? args.option("api-key") : System.getenv("WINNOW_API_KEY");
        ServerOptions options = ServerOptions.builder()
                .host(opt(args, "host", "127.0.0.1"))
                .port(number(args, "port", 8080))
                .maxBatchTokens(number(args, "max-batch-tokens", 16384))
                .maxBatchRequests(number(args, "max-batch-requests", 32))
                .maxConcurrentRequests(number(args, "max-concurrent-requests", 512))
                .maxClientBatchSize(number(args, "max-client-batch-size", 1000))
                .payloadLimit(number(args, "payload-limit", 2_000_000))
                .shutdownGraceMillis(number(args, "shutdown-grace-ms", 30_000))
                .apiKey(apiKey == null || apiKey.isEmpty() ? null : apiKey)
                .modelName(opt(args, "name", model))
                .build();
        int maxLength = number(args, "max-length", 512);
        String device = opt(args, "device", "auto");
        if (task.equals("auto")) {
            ModelDirectory dir = ModelDirectory.locate(model, "main");
            task = Files.isDirectory(dir.path().resolve("1_Pooling")) || Files.isRegularFile(dir.path().resolve("modules.json"))
                    ? "embed" : "rerank";
        }
        // listens at once (/health 503 while the model loads); an embedder loaded without normalisation serves
        // normalize: false as well as normalised vectors (the same bits as a normalising one)
        WinnowServer server = task.equals("embed")
                ? WinnowServer.loadingEmbedder(() -> Embedder.load(model, null, false, maxLength, 256, device), options)
                : WinnowServer.loadingReranker(() -> CrossEncoder.builder(model).optMaxLength(maxLength)
                        .optDevice(device).build(), options);
        CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: a signal handler (not a shutdown hook) so the stop is graceful and the exit code 0
        for (String signal : List.of("TERM", "INT")) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.countDown());
        }
        server.start();
        out.println("listening on http://" + options.host() + ":" + server.port() + " (GET /health: 503 while the model loads)");
        out.flush();
        try {
            server.awaitLoaded();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        out.println("serving " + model + " (" + server.task().name().toLowerCase() + ") on http://" + options.host() + ":"
                + server.port() + (options.apiKey() != null ? " (api key required)" : ""));
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.println("stopping: finishing requests in flight (up to " + options.shutdownGraceMillis() + " ms)");
        server.close();
        out.println("stopped");
        return Main.OK;
    }

    private static String opt(Args args, String name, String dflt) {
        String v = args.option(name);
        return v == null ? dflt : v;
    }

    private static int number(Args args, String name, int dflt) {
        String v = args.option(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UserException("runner serve: --" + name + " must be a whole number, got '" + v + "'");
        }
    }
}
