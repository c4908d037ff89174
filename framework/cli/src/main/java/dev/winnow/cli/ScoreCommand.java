package dev.winnow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.api.text.TemplateInput;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code runner score}: scores JSONL rows with a reranker, keeping each row and adding its scores. */
final class ScoreCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fields of a {query, ...} row that scoring reads; others are kept and counted as warnings. */
    private static final Set<String> ROW_FIELDS = Set.of("query", "document", "documents", "instruction");

    @Override
    public String name() {
        return "score";
    }

    @Override
    public String summary() {
        return "score {query, document} or {query, documents[]} JSONL rows with a reranker";
    }

    @Override
    public String help() {
        return """
                runner score --model <dir|hub-id|maven:...> --input <in.jsonl> --output <out.jsonl>
                             [--max-length 512] [--batch-size 32] [--sigmoid] [--device auto] [--cutoff-layer N]

                Each output line is the input row plus "score" ({query, document} rows) or "scores" (aligned with
                {query, documents[]}); a row's "instruction" goes to templates that take one (qwen3-reranker), else
                the template's default; unknown row fields are kept and reported as warnings; {text} rows get "embedding" from an embedding model. Rows are scored in
                batches of similar length; order is kept. --cutoff-layer N scores a layerwise reranker
                (bge-reranker-v2-minicpm-layerwise) with layer N's head and stops its forward pass there.""";
    }

    /** Whether the input holds {text} rows (embedding) rather than {query, ...} rows (reranking). */
    private static boolean firstRowHasText(Path input) {
        try (BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    Map<?, ?> row = JSON.readValue(line, Map.class);
                    return row.containsKey("text") && !row.containsKey("query");
                }
            }
            return false;
        } catch (IOException e) {
            throw new UserException(input + ":1: malformed JSON: " + e.getMessage());
        }
    }

    /** {text} rows: adds "embedding" to each row. */
    private int embed(Args args, Path input, Path output, int maxLength, int batch, PrintStream out) {
        try (Embedder embedder = Embedder.load(args.required("model"), null, true, maxLength, batch,
                args.option("device") == null ? "auto" : args.option("device"))) {
            List<Map<String, Object>> rows = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(input, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> row = JSON.readValue(line, LinkedHashMap.class);
                if (!(row.get("text") instanceof String t)) {
                    throw new UserException(input + ":" + n + ": row has no 'text' string");
                }
                texts.add(t);
                rows.add(row);
            }
            float[][] vectors = embedder.encode(texts);
            Path tmp = output.resolveSibling(output.getFileName() + ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (int i = 0; i < rows.size(); i++) {
                    rows.get(i).put("embedding", vectors[i]);
                    w.write(JSON.writeValueAsString(rows.get(i)));
                    w.newLine();
                }
            }
            Files.move(tmp, output, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            out.println("embedded " + texts.size() + " texts into " + output
                    + (embedder.truncation().truncated() > 0 ? "; " + embedder.truncation().report(maxLength) : ""));
            return Main.OK;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of("model", "input", "output", "max-length", "batch-size", "device", "cutoff-layer"),
                Set.of("sigmoid"));
        Path input = Path.of(args.required("input"));
        Path output = Path.of(args.required("output"));
        if (!Files.isRegularFile(input)) {
            throw new UserException("runner score: input " + input + " does not exist");
        }
        int maxLength = Integer.parseInt(args.option("max-length") == null ? "512" : args.option("max-length"));
        int batch = Integer.parseInt(args.option("batch-size") == null ? "32" : args.option("batch-size"));
        if (firstRowHasText(input)) {
            return embed(args, input, output, maxLength, batch, out);
        }
        CrossEncoder.Builder builder = CrossEncoder.builder(args.required("model")).optMaxLength(maxLength).optBatchSize(batch)
                .optDevice(args.option("device") == null ? "auto" : args.option("device"));
        if (args.option("cutoff-layer") != null) {
            try {
                builder.optCutoffLayer(Integer.parseInt(args.option("cutoff-layer")));
            } catch (NumberFormatException e) {
                throw new UserException("runner score: --cutoff-layer must be a layer number, found '" + args.option("cutoff-layer") + "'");
            }
        }
        try (CrossEncoder ce = builder.build()) {
            List<Map<String, Object>> rows = new ArrayList<>();
            List<TemplateInput> pairs = new ArrayList<>();
            Map<String, Integer> unknownFields = new java.util.TreeMap<>();
            try (BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
                String line;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    if (line.isBlank()) {
                        continue;
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> row = JSON.readValue(line, LinkedHashMap.class);
                    Object q = row.get("query");
                    if (!(q instanceof String query)) {
                        throw new UserException(input + ":" + n + ": row has no 'query' string");
                    }
                    Object ins = row.get("instruction");
                    if (ins != null && !(ins instanceof String)) {
                        throw new UserException(input + ":" + n + ": 'instruction' must be a string");
                    }
                    String instruction = (String) ins; // the template's default when absent (qwen3-reranker's)
                    for (String key : row.keySet()) {
                        if (!ROW_FIELDS.contains(key)) {
                            unknownFields.merge(key, 1, Integer::sum);
                        }
                    }
                    if (row.get("document") instanceof String d) {
                        pairs.add(new TemplateInput(query, d, instruction));
                    } else if (row.get("documents") instanceof List<?> docs) {
                        for (Object d : docs) {
                            pairs.add(new TemplateInput(query, String.valueOf(d), instruction));
                        }
                    } else {
                        throw new UserException(input + ":" + n + ": row needs 'document' (a string) or 'documents' (a list)");
                    }
                    rows.add(row);
                }
            }
            float[] scores = ce.scorer().score(pairs);
            if (args.flag("sigmoid")) {
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = (float) (1 / (1 + Math.exp(-scores[i])));
                }
            }
            unknownFields.forEach((key, count) -> out.println("warning: " + count + " row(s) have unknown field '" + key
                    + "' (kept in the output, not used for scoring; scoring fields: query, document, documents, instruction)"));
            int k = 0;
            Files.createDirectories(output.toAbsolutePath().getParent());
            Path tmp = output.resolveSibling(output.getFileName() + ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Map<String, Object> row : rows) {
                    if (row.get("document") instanceof String) {
                        row.put("score", scores[k++]);
                    } else {
                        List<Float> s = new ArrayList<>();
                        for (int i = 0; i < ((List<?>) row.get("documents")).size(); i++) {
                            s.add(scores[k++]);
                        }
                        row.put("scores", s);
                    }
                    w.write(JSON.writeValueAsString(row));
                    w.newLine();
                }
            }
            Files.move(tmp, output, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            out.println("scored " + pairs.size() + " pairs from " + rows.size() + " rows into " + output
                    + (ce.scorer().truncation().truncated() > 0 ? "; " + ce.scorer().truncation().report(maxLength) : ""));
            return Main.OK;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserException(input + ":" + e.getLocation().getLineNr() + ": malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
