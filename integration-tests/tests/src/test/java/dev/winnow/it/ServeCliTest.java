package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.infer.CrossEncoder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `runner score` honouring a row's instruction, and `runner serve` as a real process: serve, call, SIGTERM, exit 0. */
class ServeCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String INSTRUCTION = "Judge whether the document names a fruit";

    @Test
    void scoreHonoursTheRowInstructionAndWarnsOfUnknownFields(@TempDir Path dir) throws Exception {
        Path model = Qwen3EndToEndTest.tinyQwen3(dir.resolve("tiny-qwen3"));
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, JSON.writeValueAsString(Map.of("query", "apple", "document", "a red fruit", "instruction", INSTRUCTION)) + "\n"
                + JSON.writeValueAsString(Map.of("query", "apple", "document", "a red fruit", "lang", "en")) + "\n");
        Path out = dir.resolve("out.jsonl");
        var r = CliTest.runner("score", "--model", model.toString(), "--input", in.toString(), "--output", out.toString(),
                "--max-length", "96", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("warning: 1 row(s) have unknown field 'lang'"), r.out());
        List<String> lines = Files.readAllLines(out);
        float withInstruction = ((Number) JSON.readValue(lines.get(0), Map.class).get("score")).floatValue();
        float withDefault = ((Number) JSON.readValue(lines.get(1), Map.class).get("score")).floatValue();
        try (CrossEncoder ce = CrossEncoder.builder(model.toString()).optMaxLength(96).optDevice("cpu").build()) {
            float[] ref = ce.scorer().score(List.of(new TemplateInput("apple", "a red fruit", INSTRUCTION),
                    new TemplateInput("apple", "a red fruit", null)));
            assertEquals(ref[0], withInstruction, 0f);
            assertEquals(ref[1], withDefault, 0f);
        }
        assertNotEquals(withInstruction, withDefault, "the instruction changes the prompt, so the score");
    }

    @Test
    void serveAnswersThenStopsGracefullyOnSigtermWithExitZero(@TempDir Path dir) throws Exception {
        Path model = Qwen3EndToEndTest.tinyQwen3(dir.resolve("tiny-qwen3"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dai.djl.offline=true", "-DPYTORCH_FLAVOR=cpu", "-cp", System.getProperty("java.class.path"),
                "dev.winnow.cli.Main", "serve", "--model", model.toString(), "--port", "0", "--max-length", "96",
                "--device", "cpu", "--api-key", "k1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            StringBuilder log = new StringBuilder();
            for (String line; (line = lines.readLine()) != null; ) {
                log.append(line).append('\n');
                Matcher m = Pattern.compile("^serving .* on http://127\\.0\\.0\\.1:(\\d+)").matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                    break;
                }
            }
            assertTrue(port > 0, log.toString());
            HttpClient http = HttpClient.newHttpClient();
            String body = JSON.writeValueAsString(Map.of("query", "apple", "texts", List.of("a red fruit", "a truck"),
                    "raw_scores", true, "instruction", INSTRUCTION));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/rerank"))
                    .header("Authorization", "Bearer k1").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode rows = JSON.readTree(r.body());
            try (CrossEncoder ce = CrossEncoder.builder(model.toString()).optMaxLength(96).optDevice("cpu").build()) {
                float[] ref = ce.scorer().score(List.of(new TemplateInput("apple", "a red fruit", INSTRUCTION),
                        new TemplateInput("apple", "a truck", INSTRUCTION)));
                for (JsonNode row : rows) {
                    assertEquals(ref[row.get("index").asInt()], row.get("score").floatValue()); // bit-equal
                }
            }
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            HttpResponse<String> unauthorized = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/info")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, unauthorized.statusCode());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stopped within 60 s");
            assertEquals(0, p.exitValue(), log.toString()); // graceful stop, not the JVM's 143
        } finally {
            p.destroyForcibly();
        }
    }
}
