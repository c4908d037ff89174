package dev.winnow.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.nn.weights.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a model snapshot into the Hugging Face cache layout: {@code refs/<revision>} holds the commit,
 * {@code blobs/<etag>} the content, {@code snapshots/<commit>/<file>} a relative symlink to the blob (a copy where
 * links are unsupported). A partial blob ({@code blobs/<etag>.incomplete}) is resumed with a Range request; content
 * whose ETag is a SHA-256 (LFS files) is verified before it is moved into place.
 */
final class HubDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern MODULE_DIR = Pattern.compile("\\d+_[A-Za-z][A-Za-z0-9_]*");
    private static final Set<String> ROOT_FILES = Set.of("config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt",
            "sentencepiece.bpe.model", "spiece.model", "tokenizer.model", "modules.json", "sentence_bert_config.json",
            "config_sentence_transformers.json", "generation_config.json");
    private static final Set<String> FOREIGN_WEIGHTS = Set.of(".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack",
            ".ckpt", ".gguf");
    private static final String INDEX = "model.safetensors.index.json";
    private static final int MAX_REDIRECTS = 10;
    private static final long PROGRESS_NANOS = 10_000_000_000L;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final HubSettings settings;
    private final HttpClient http;

    HubDownloader(HubSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    Path download(String id, String revision, Path repoDir) {
        JsonNode info = getJson(apiUrl(id, revision), id, revision);
        String commit = info.path("sha").asText("");
        if (!commit.matches("[0-9a-f]{40}")) {
            throw new WinnowException("the Hub at " + settings.endpoint() + " answered for model " + id + "@" + revision
                    + " without a commit sha");
        }
        List<String> siblings = new ArrayList<>();
        for (Iterator<JsonNode> it = info.path("siblings").elements(); it.hasNext(); ) {
            siblings.add(it.next().path("rfilename").asText());
        }
        List<String> plain = siblings.stream().filter(HubDownloader::isModelFile).filter(f -> !isWeights(f)).toList();
        if (!plain.contains("config.json")) {
            throw new UserException("model " + id + "@" + revision + " on " + settings.endpoint()
                    + " has no config.json; it is not a model repository Winnow can use");
        }
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        if (!revision.equals(commit)) {
            writeRef(repoDir, revision, commit);
        }
        for (String file : plain) {
            fetch(id, commit, file, repoDir, snapshot);
        }
        if (siblings.contains(INDEX)) {
            fetch(id, commit, INDEX, repoDir, snapshot);
        }
        List<String> weights = weightsToFetch(siblings, snapshot);
        if (weights.isEmpty()) {
            List<String> foreign = siblings.stream()
                    .filter(f -> FOREIGN_WEIGHTS.stream().anyMatch(f::endsWith)).toList();
            LOG.warn("model {}@{} has no safetensors weights{}; only its configuration and tokenizer were downloaded",
                    id, revision, foreign.isEmpty() ? "" : " (it has " + String.join(", ", foreign)
                            + ", which Winnow does not read)");
        }
        for (String file : weights) {
            fetch(id, commit, file, repoDir, snapshot);
        }
        return snapshot;
    }

    /** Root and sentence-transformers module files a model needs, except weights. */
    static boolean isModelFile(String file) {
        int slash = file.lastIndexOf('/');
        String name = file.substring(slash + 1);
        if (slash < 0) {
            return ROOT_FILES.contains(name) || isWeights(file);
        }
        String dir = file.substring(0, slash);
        return MODULE_DIR.matcher(dir).matches() && (name.equals("config.json") || isWeights(file));
    }

    private static boolean isWeights(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".safetensors.index.json");
    }

    /**
     * Module weights, then the root weights: the shards the (already fetched) index names, else every root
     * safetensors file. Root weights come last, so their presence marks a complete snapshot.
     */
    private static List<String> weightsToFetch(List<String> siblings, Path snapshot) {
        Set<String> out = new LinkedHashSet<>();
        for (String f : siblings) {
            if (isModelFile(f) && isWeights(f) && f.contains("/")) {
                out.add(f);
            }
        }
        if (siblings.contains(INDEX)) {
            try {
                JsonNode map = JSON.readTree(snapshot.resolve(INDEX).toFile()).path("weight_map");
                Set<String> shards = new TreeSet<>();
                map.elements().forEachRemaining(n -> shards.add(n.asText()));
                out.addAll(shards);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the downloaded index in " + snapshot, e);
            }
        } else {
            siblings.stream().filter(f -> !f.contains("/") && f.endsWith(".safetensors")).sorted().forEach(out::add);
        }
        return new ArrayList<>(out);
    }

    /** Places {@code file} of commit {@code commit} in the snapshot, reusing a blob already in the cache. */
    private void fetch(String id, String commit, String file, Path repoDir, Path snapshot) {
        Path target = snapshot.resolve(file).normalize();
        if (!target.startsWith(snapshot) || file.contains("\\")) {
            throw new WinnowException("the Hub listed an unsafe file name '" + file + "' for model " + id);
        }
        if (Files.exists(target)) {
            return;
        }
        URI url = resolveUrl(id, commit, file);
        Head head = head(url, id, file);
        Path blob = repoDir.resolve("blobs").resolve(head.etag());
        if (!Files.isRegularFile(blob)) {
            Path lock = settings.cacheDir().resolve(".locks").resolve(repoDir.getFileName())
                    .resolve(head.etag() + ".lock");
            withLock(lock, () -> {
                if (!Files.isRegularFile(blob)) {
                    downloadBlob(head, blob, id, file);
                }
            });
        }
        link(blob, target);
    }

    private record Head(URI url, String etag, long size) {}

    /** Metadata of a file: its ETag (X-Linked-Etag for LFS files) and size, without following CDN redirects. */
    private Head head(URI url, String id, String file) {
        URI current = url;
        for (int i = 0; i <= MAX_REDIRECTS; i++) {
            HttpResponse<Void> r = send(request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding(), current);
            check(r, id, file);
            String etag = header(r, "X-Linked-Etag").or(() -> header(r, "ETag")).map(HubDownloader::normalizeEtag)
                    .orElse(null);
            long size = header(r, "X-Linked-Size").or(() -> header(r, "Content-Length"))
                    .map(Long::parseLong).orElse(-1L);
            boolean redirect = r.statusCode() / 100 == 3;
            if (etag != null && !etag.isEmpty() && !etag.contains("/")) {
                return new Head(url, etag, redirect && header(r, "X-Linked-Size").isEmpty() ? -1 : size);
            }
            if (!redirect) {
                break;
            }
            current = current.resolve(header(r, "Location").orElseThrow(() -> new WinnowException(
                    "the Hub redirected " + url + " without a Location")));
        }
        throw new WinnowException("the Hub gave no ETag for " + url + "; cannot place the file in the cache");
    }

    private void downloadBlob(Head head, Path blob, String id, String file) {
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        try {
            Files.createDirectories(blob.getParent());
            long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
            if (head.size() >= 0 && have > head.size()) {
                Files.delete(incomplete);
                have = 0;
            }
            long started = System.nanoTime();
            long got = have == head.size() ? 0 : get(head.url(), incomplete, have, head.size(), id, file);
            long total = Files.size(incomplete);
            if (head.size() >= 0 && total != head.size()) {
                throw new UserException("download of " + file + " for model " + id + " stopped at " + total + " of "
                        + head.size() + " bytes; run again to resume it");
            }
            if (SHA256.matcher(head.etag()).matches()) {
                String actual = sha256(incomplete);
                if (!actual.equals(head.etag())) {
                    Files.delete(incomplete);
                    throw new UserException("download of " + file + " for model " + id + " failed its checksum: "
                            + "expected sha256 " + head.etag() + ", got " + actual
                            + "; the download was deleted, run again to fetch it anew");
                }
            }
            try {
                Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(incomplete, blob);
            }
            double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            LOG.info("downloaded {} of {} ({} bytes{}, {} MB/s)", file, id, total,
                    have > 0 ? ", resumed at " + have : "", String.format(Locale.ROOT, "%.1f", got / seconds / 1e6));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + file + " for model " + id + " into " + blob + ": "
                    + e.getMessage() + " (a partial download is kept and resumed next time)", e);
        }
    }

    /** GETs {@code url} into {@code incomplete}, resuming at {@code have} bytes. Returns bytes received. */
    private long get(URI url, Path incomplete, long have, long size, String id, String file) throws IOException {
        URI current = url;
        for (int i = 0; i <= MAX_REDIRECTS; i++) {
            HttpRequest.Builder b = request(current).GET();
            if (have > 0) {
                b.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream(), current);
            int status = r.statusCode();
            if (status / 100 == 3) {
                r.body().close();
                URI from = current;
                current = current.resolve(header(r, "Location").orElseThrow(() -> new WinnowException(
                        "the Hub redirected " + from + " without a Location")));
                continue;
            }
            if (status == 416 && have > 0) {
                r.body().close();
                return 0; // the partial file is already complete; its size and checksum are verified next
            }
            check(r, id, file);
            boolean append = status == 206;
            if (append) {
                String range = header(r, "Content-Range").orElse("");
                if (!range.startsWith("bytes " + have + "-")) {
                    r.body().close();
                    throw new WinnowException("the server answered a resume of " + file + " at byte " + have
                            + " with Content-Range '" + range + "'");
                }
            } else if (status != 200) {
                r.body().close();
                throw new WinnowException("unexpected HTTP " + status + " downloading " + file + " for " + id);
            }
            return copy(r.body(), incomplete, append, append ? have : 0, size, id + "/" + file);
        }
        throw new WinnowException("too many redirects downloading " + url);
    }

    /** Streams {@code body} into {@code incomplete}, logging progress every 10 s for large files. */
    private static long copy(InputStream body, Path incomplete, boolean append, long offset, long size, String what)
            throws IOException {
        long n = 0;
        long nextLog = System.nanoTime() + PROGRESS_NANOS;
        try (InputStream in = body;
                FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int k; (k = in.read(buf)) >= 0; ) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, k);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                n += k;
                if (System.nanoTime() > nextLog) {
                    nextLog = System.nanoTime() + PROGRESS_NANOS;
                    LOG.info("downloading {}: {} MB{}", what, (offset + n) / 1_000_000,
                            size > 0 ? " of " + size / 1_000_000 + " MB" : "");
                }
            }
            out.force(true);
        }
        return n;
    }

    private static final ConcurrentHashMap<Path, Object> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    /**
     * Runs {@code action} holding an exclusive lock on {@code lockFile} (where huggingface_hub keeps its locks), so
     * two threads or two Winnow processes never append to the same partial download.
     */
    private static void withLock(Path lockFile, Runnable action) {
        synchronized (IN_PROCESS_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
            try {
                Files.createDirectories(lockFile.getParent());
                try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock ignored = ch.lock()) {
                    action.run();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
            }
        }
    }

    private static void link(Path blob, Path target) {
        try {
            Files.createDirectories(target.getParent());
            try {
                Files.createSymbolicLink(target, target.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException e) {
                if (e instanceof FileAlreadyExistsException) {
                    return;
                }
                LOG.debug("cannot symlink {} ({}); copying the blob", target, e.toString());
                Files.copy(blob, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot place " + target + " in the cache: " + e.getMessage(), e);
        }
    }

    private static void writeRef(Path repoDir, String revision, String commit) {
        byte[] bytes = commit.getBytes(StandardCharsets.US_ASCII);
        AtomicFiles.write(repoDir.resolve("refs").resolve(revision), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    // ---------------------------------------------------------------------------------------------- HTTP

    private JsonNode getJson(URI url, String id, String revision) {
        HttpResponse<byte[]> r = send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray(), url);
        if (r.statusCode() == 404) {
            throw new UserException("model '" + id + "' (revision " + revision + ") was not found on "
                    + settings.endpoint() + "; check the id and revision" + (settings.token() == null
                    ? ", and set HF_TOKEN if it is private" : ""));
        }
        check(r, id, "the file list");
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new WinnowException("the Hub at " + settings.endpoint() + " answered " + url + " with invalid JSON",
                    e);
        }
    }

    private void check(HttpResponse<?> r, String id, String what) {
        int s = r.statusCode();
        if (s == 401 || s == 403) {
            throw new UserException("the Hub refused access to " + what + " of model '" + id + "' (HTTP " + s + "): "
                    + (settings.token() == null
                    ? "it is private or gated; accept its terms on the Hub and set HF_TOKEN to an access token"
                    : "the token in HF_TOKEN (or the HF_HOME token file) lacks access to it"));
        }
        if (s == 404) {
            throw new UserException(what + " of model '" + id + "' was not found on " + settings.endpoint()
                    + " (HTTP 404)");
        }
        if (s >= 400) {
            throw new WinnowException("the Hub answered HTTP " + s + " for " + what + " of model '" + id + "'");
        }
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(TIMEOUT)
                .header("User-Agent", "winnow/0.1; java/" + Runtime.version().feature())
                .header("Accept-Encoding", "identity");
        if (settings.token() != null && sameOrigin(url, settings.endpoint())) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, URI url) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UserException("cannot reach " + url + ": " + e + "; check the network, HF_ENDPOINT, or set "
                    + "HF_HUB_OFFLINE=1 to use only the cache", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WinnowException("interrupted while downloading " + url, e);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    private static Optional<String> header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name);
    }

    static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    private URI apiUrl(String id, String revision) {
        return URI.create(settings.endpoint() + "/api/models/" + id + "/revision/" + encode(revision));
    }

    private URI resolveUrl(String id, String commit, String file) {
        StringBuilder path = new StringBuilder();
        for (String segment : file.split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(settings.endpoint() + "/" + id + "/resolve/" + commit + path);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                digest.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
