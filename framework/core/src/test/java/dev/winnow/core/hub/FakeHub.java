package dev.winnow.core.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A Hub-like server on loopback: the model API, {@code resolve} URLs (LFS files answer 302 to a "CDN" on another
 * host name, with X-Linked-Etag/X-Linked-Size, as the Hub does), and a CDN that honours Range requests.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    private final HttpServer server;
    private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicLong cdnBytes = new AtomicLong();
    /** "METHOD path auth=... range=..." for each request, in order. */
    final List<String> log = new CopyOnWriteArrayList<>();
    /** When set, requests without "Bearer " + this token get 401. */
    volatile @Nullable String requiredToken;
    /** When true, LFS files advertise the SHA-256 of other bytes. */
    volatile boolean lieAboutChecksum;
    /** When positive, the next CDN response promises the whole file but breaks off after this many bytes. */
    volatile int breakNextCdnAfter;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    void put(String repo, String file, byte[] content) {
        repos.computeIfAbsent(repo, k -> new ConcurrentHashMap<>()).put(file, content);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static String sha256(byte[] bytes) {
        return hex("SHA-256", bytes);
    }

    private static String hex(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            requests.incrementAndGet();
            String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String range = ex.getRequestHeaders().getFirst("Range");
            log.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Host") + path + " auth=" + auth
                    + " range=" + range);
            boolean cdn = path.startsWith("/cdn/");
            String token = requiredToken;
            if (!cdn && token != null && !("Bearer " + token).equals(auth)) {
                send(ex, 401, new byte[0]);
                return;
            }
            if (path.startsWith("/api/models/")) {
                api(ex, path.substring("/api/models/".length()));
            } else if (cdn) {
                cdn(ex, path.substring("/cdn/".length()), range);
            } else {
                resolve(ex, path.substring(1));
            }
        }
    }

    private void api(HttpExchange ex, String rest) throws IOException {
        int at = rest.indexOf("/revision/");
        Map<String, byte[]> files = at < 0 ? null : repos.get(rest.substring(0, at));
        if (files == null) {
            send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + rest.substring(0, at) + "\",\"sha\":\"" + COMMIT
                + "\",\"siblings\":[");
        String sep = "";
        for (String f : files.keySet().stream().sorted().toList()) {
            json.append(sep).append("{\"rfilename\":\"").append(f).append("\"}");
            sep = ",";
        }
        send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex, String rest) throws IOException {
        // <org>/<name>/resolve/<commit>/<file>
        int at = rest.indexOf("/resolve/");
        Map<String, byte[]> files = at < 0 ? null : repos.get(rest.substring(0, at));
        String tail = at < 0 ? "" : rest.substring(at + "/resolve/".length());
        byte[] content = files == null || !tail.startsWith(COMMIT + "/") ? null
                : files.get(tail.substring(COMMIT.length() + 1));
        if (content == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        if (tail.endsWith(".safetensors")) {
            String sha = sha256(content);
            String advertised = lieAboutChecksum ? sha256("other bytes".getBytes(StandardCharsets.UTF_8)) : sha;
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + advertised + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Long.toString(content.length));
            ex.getResponseHeaders().add("Location",
                    "http://localhost:" + server.getAddress().getPort() + "/cdn/" + rest.substring(0, at) + "/" + sha);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + hex("SHA-1", content) + "\"");
        send(ex, 200, content);
    }

    private void cdn(HttpExchange ex, String rest, @Nullable String range) throws IOException {
        int slash = rest.lastIndexOf('/');
        Map<String, byte[]> files = repos.get(rest.substring(0, slash));
        String sha = rest.substring(slash + 1);
        byte[] content = files == null ? null : files.values().stream().filter(c -> sha256(c).equals(sha))
                .findFirst().orElse(null);
        if (content == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        int breakAfter = breakNextCdnAfter;
        if (range == null && breakAfter > 0) {
            breakNextCdnAfter = 0;
            ex.sendResponseHeaders(200, content.length);
            OutputStream out = ex.getResponseBody();
            out.write(content, 0, breakAfter);
            out.flush();
            cdnBytes.addAndGet(breakAfter);
            return; // closing the exchange short of its promised length drops the connection
        }
        if (range == null) {
            send(ex, 200, content);
            return;
        }
        long start = Long.parseLong(range.substring("bytes=".length(), range.indexOf('-')));
        if (start >= content.length) {
            ex.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
            send(ex, 416, new byte[0]);
            return;
        }
        ex.getResponseHeaders().add("Content-Range",
                "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        byte[] part = java.util.Arrays.copyOfRange(content, (int) start, content.length);
        send(ex, 206, part);
    }

    private void send(HttpExchange ex, int status, byte[] body) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        if (ex.getRequestURI().getRawPath().startsWith("/cdn/")) {
            cdnBytes.addAndGet(body.length);
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
