package dev.winnow.core.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.nn.weights.DType;
import dev.winnow.nn.weights.SafetensorsReader;
import dev.winnow.nn.weights.SafetensorsWriter;
import dev.winnow.nn.weights.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLocatorTest {
    private static final byte[] CONFIG = "{\"model_type\":\"bert\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOKENIZER = "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    private FakeHub hub;
    private byte[] weights;
    private Path cache;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        ByteBuffer data = ByteBuffer.allocate(4000).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1000; i++) {
            data.putFloat(i / 7f);
        }
        Path file = tmp.resolve("w.safetensors");
        SafetensorsWriter.write(file, List.of(new TensorData("w", DType.F32, new long[] {1000}, data.flip())),
                Map.of("format", "pt"));
        weights = Files.readAllBytes(file);
        hub.put("org/tiny", "config.json", CONFIG);
        hub.put("org/tiny", "tokenizer.json", TOKENIZER);
        hub.put("org/tiny", "model.safetensors", weights);
        hub.put("org/tiny", "1_Pooling/config.json", "{\"pooling_mode_cls_token\":true}".getBytes(StandardCharsets.UTF_8));
        hub.put("org/tiny", "pytorch_model.bin", new byte[] {9, 9, 9});
        hub.put("org/tiny", "onnx/model.onnx", new byte[] {8});
        hub.put("org/tiny", "README.md", new byte[] {7});
        cache = tmp.resolve("hf-cache");
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubSettings settings(String token) {
        return new HubSettings(hub.endpoint(), cache, token, false);
    }

    @Test
    void downloadsOnlyModelFilesIntoTheCacheLayoutThenServesThemFromTheCache() throws IOException {
        Path snapshot = ModelLocator.resolve("org/tiny", "main", settings("hf_secret"));
        Path repo = cache.resolve("models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(FakeHub.COMMIT), snapshot);
        assertEquals(FakeHub.COMMIT, Files.readString(repo.resolve("refs/main")));
        try (Stream<Path> files = Files.walk(snapshot)) {
            assertEquals(List.of("1_Pooling/config.json", "config.json", "model.safetensors", "tokenizer.json"),
                    files.filter(p -> !Files.isDirectory(p)).map(p -> snapshot.relativize(p).toString()).sorted()
                            .toList());
        }
        Path model = snapshot.resolve("model.safetensors");
        assertTrue(Files.isSymbolicLink(model));
        assertEquals(Path.of("../../blobs/" + FakeHub.sha256(weights)), Files.readSymbolicLink(model));
        assertTrue(Files.readSymbolicLink(snapshot.resolve("1_Pooling/config.json")).toString()
                .startsWith("../../../blobs/"));
        assertArrayEquals(CONFIG, Files.readAllBytes(snapshot.resolve("config.json")));
        try (SafetensorsReader r = SafetensorsReader.open(snapshot)) {
            assertEquals(1 / 7f, r.read("w").data().getFloat(4));
        }
        // The token goes to the Hub, never to the CDN host a redirect points at.
        assertTrue(hub.log.stream().filter(l -> l.contains("127.0.0.1"))
                .allMatch(l -> l.contains("auth=Bearer hf_secret")), hub.log.toString());
        assertTrue(hub.log.stream().anyMatch(l -> l.startsWith("GET localhost") && l.contains("/cdn/")), hub.log.toString());
        assertTrue(hub.log.stream().filter(l -> l.contains("/cdn/")).allMatch(l -> l.contains("auth=null")));

        int before = hub.requests.get();
        assertEquals(snapshot, ModelLocator.resolve("org/tiny", "main", settings("hf_secret")));
        assertEquals(snapshot, ModelLocator.resolve("org/tiny", FakeHub.COMMIT, settings(null).withOffline(true)));
        assertEquals(before, hub.requests.get(), "a cached snapshot is used without any request");
    }

    @Test
    void resumesAPartialBlobWithARangeRequest() throws IOException {
        String sha = FakeHub.sha256(weights);
        Path blobs = Files.createDirectories(cache.resolve("models--org--tiny/blobs"));
        int have = 1500;
        Files.write(blobs.resolve(sha + ".incomplete"), Arrays.copyOf(weights, have));
        Path snapshot = ModelLocator.resolve("org/tiny", "main", settings(null));
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertEquals(weights.length - have, hub.cdnBytes.get(), "only the missing bytes were served");
        assertTrue(hub.log.stream().anyMatch(l -> l.contains("/cdn/") && l.endsWith("range=bytes=" + have + "-")),
                hub.log.toString());
        assertFalse(Files.exists(blobs.resolve(sha + ".incomplete")));
    }

    @Test
    void anInterruptedDownloadIsResumedByTheNextResolve() throws IOException {
        hub.breakNextCdnAfter = 1000;
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> ModelLocator.resolve("org/tiny", "main", settings(null)));
        assertTrue(e.getMessage().contains("a partial download is kept and resumed next time"), e.getMessage());
        Path partial = cache.resolve("models--org--tiny/blobs/" + FakeHub.sha256(weights) + ".incomplete");
        assertEquals(1000, Files.size(partial));
        hub.cdnBytes.set(0);
        Path snapshot = ModelLocator.resolve("org/tiny", "main", settings(null));
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertEquals(weights.length - 1000, hub.cdnBytes.get());
    }

    @Test
    void rejectsContentThatFailsItsChecksum() throws IOException {
        hub.lieAboutChecksum = true;
        String advertised = FakeHub.sha256("other bytes".getBytes(StandardCharsets.UTF_8));
        UserException e = assertThrows(UserException.class,
                () -> ModelLocator.resolve("org/tiny", "main", settings(null)));
        assertEquals("download of model.safetensors for model org/tiny failed its checksum: expected sha256 "
                + advertised + ", got " + FakeHub.sha256(weights)
                + "; the download was deleted, run again to fetch it anew", e.getMessage());
        Path blobs = cache.resolve("models--org--tiny/blobs");
        assertFalse(Files.exists(blobs.resolve(advertised + ".incomplete")));
        assertFalse(Files.exists(blobs.resolve(advertised)));
        Path snapshot = cache.resolve("models--org--tiny/snapshots/" + FakeHub.COMMIT);
        assertFalse(Files.exists(snapshot.resolve("model.safetensors")));
        assertFalse(ModelLocator.isComplete(snapshot));
    }

    @Test
    void downloadsTheShardsThatTheIndexNames() throws IOException {
        Path out = tmp.resolve("sharded");
        Files.createDirectories(out);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            SafetensorsWriter.writeSharded(out, "model", Map.of("a", m.arange(0f, 30f), "b", m.arange(0f, 20f)),
                    Map.of(), 100);
        }
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                hub.put("org/sharded", f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        hub.put("org/sharded", "config.json", CONFIG);
        hub.put("org/sharded", "model.safetensors", new byte[] {1}); // a stale consolidated copy: not fetched
        Path snapshot = ModelLocator.resolve("org/sharded", "main", settings(null));
        try (SafetensorsReader r = SafetensorsReader.open(snapshot)) {
            assertEquals(2, r.names().size());
        }
        assertFalse(Files.exists(snapshot.resolve("model.safetensors")));
        assertTrue(ModelLocator.isComplete(snapshot));
    }

    @Test
    void reportsAccessAndMissingModelsClearly() {
        hub.requiredToken = "hf_secret";
        UserException e = assertThrows(UserException.class,
                () -> ModelLocator.resolve("org/tiny", "main", settings(null)));
        assertEquals("the Hub refused access to the file list of model 'org/tiny' (HTTP 401): it is private or gated;"
                + " accept its terms on the Hub and set HF_TOKEN to an access token", e.getMessage());
        e = assertThrows(UserException.class, () -> ModelLocator.resolve("org/missing", "main", settings("hf_secret")));
        assertEquals("model 'org/missing' (revision main) was not found on " + hub.endpoint()
                + "; check the id and revision", e.getMessage());
    }

    @Test
    void offlineWithoutACachedCopyExplainsWhatToDo() {
        UserException e = assertThrows(UserException.class,
                () -> ModelLocator.resolve("BAAI/bge-reranker-v2-m3", "main", settings(null).withOffline(true)));
        assertEquals("model 'BAAI/bge-reranker-v2-m3' (revision main) is not in the Hugging Face cache at " + cache
                + ", and HF_HUB_OFFLINE is set, so Winnow will not download it. Download it first where the Hub is "
                + "reachable, into the same cache (same HF_HOME or HF_HUB_CACHE): run Winnow once without "
                + "HF_HUB_OFFLINE, or `hf download BAAI/bge-reranker-v2-m3`; or point the recipe at a local model "
                + "directory.", e.getMessage());
        assertEquals(0, hub.requests.get());
    }

    @Test
    void localDirectoriesPassThrough() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("my-model"));
        Files.write(dir.resolve("config.json"), CONFIG);
        assertEquals(dir, ModelLocator.resolve(dir.toString(), settings(null)));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        UserException e = assertThrows(UserException.class, () -> ModelLocator.resolve(empty.toString(),
                settings(null)));
        assertEquals("model directory " + empty + " has no config.json; a model directory in Hugging Face layout "
                + "holds config.json, *.safetensors weights, tokenizer.json, tokenizer_config.json and "
                + "special_tokens_map.json (or, for a PEFT adapter directory, adapter_config.json and adapter_model.safetensors)",
                e.getMessage());
        e = assertThrows(UserException.class, () -> ModelLocator.resolve(tmp + "/nope", settings(null)));
        assertEquals("model directory " + tmp.resolve("nope") + " does not exist", e.getMessage());
        e = assertThrows(UserException.class, () -> ModelLocator.resolve("a/b/c", settings(null)));
        assertEquals("model source 'a/b/c' is neither an existing directory nor a Hugging Face Hub id such as "
                + "BAAI/bge-reranker-v2-m3", e.getMessage());
        assertEquals(0, hub.requests.get());
    }

    @Test
    void selectsOnlyFilesAModelNeeds() {
        assertTrue(HubDownloader.isModelFile("config.json"));
        assertTrue(HubDownloader.isModelFile("model-00001-of-00002.safetensors"));
        assertTrue(HubDownloader.isModelFile("sentencepiece.bpe.model"));
        assertTrue(HubDownloader.isModelFile("2_Dense/model.safetensors"));
        assertFalse(HubDownloader.isModelFile("pytorch_model.bin"));
        assertFalse(HubDownloader.isModelFile("onnx/model.onnx"));
        assertFalse(HubDownloader.isModelFile("onnx/config.json"));
        assertFalse(HubDownloader.isModelFile("tf_model.h5"));
        assertFalse(HubDownloader.isModelFile("flax_model.msgpack"));
        assertEquals("abc", HubDownloader.normalizeEtag("W/\"abc\""));
    }
}
