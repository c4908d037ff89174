package dev.winnow.hfexport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.api.export.ExportRequest;
import dev.winnow.api.export.Exporter;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code config.json}, {@code model.safetensors} (sharded by size), the tokenizer files of the source
 * model and a model card. For rerankers, {@code config.json} carries the {@code sentence_transformers} block that
 * sentence-transformers' {@code CrossEncoder} reads its activation from; embedding models get the
 * sentence-transformers module files (see {@link SentenceTransformersFiles}).
 */
public final class HfExporter implements Exporter {
    /** Tokenizer and vocabulary files copied from the source model when present. */
    static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json",
            "merges.txt", "sentencepiece.bpe.model", "spiece.model", "added_tokens.json");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final HfExportConfig config;

    public HfExporter(HfExportConfig config) {
        this.config = config;
    }

    @Override
    public void export(ExportRequest request) {
        WinnowModel model = request.model();
        Path out = request.outputDirectory();
        try {
            Files.createDirectories(out);
            Map<String, Object> configJson = new LinkedHashMap<>(model.exportConfig());
            if (model.task() == Task.RERANKER) {
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("activation_fn", config.activation().torchPath());
                st.put("version", "winnow");
                configJson.put("sentence_transformers", st);
            }
            Files.writeString(out.resolve("config.json"), JSON.writeValueAsString(configJson) + "\n");

            Map<String, ai.djl.ndarray.NDArray> tensors = new LinkedHashMap<>();
            for (Parameter p : model.parameters().all()) {
                tensors.put(p.name(), p.array());
            }
            SafetensorsWriter.writeSharded(out, "model", tensors, Map.of("format", "pt"), config.maxShardBytes());

            for (String name : TOKENIZER_FILES) {
                Path src = request.sourceDirectory().resolve(name);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (request.embedding() != null) {
                SentenceTransformersFiles.write(out, request.embedding(), configJson);
            }
            if (config.modelCard()) {
                Files.writeString(out.resolve("README.md"), modelCard(request, configJson), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export to " + out + ": " + e.getMessage(), e);
        }
    }

    static String modelCard(ExportRequest request, Map<String, Object> configJson) {
        WinnowModel model = request.model();
        boolean reranker = model.task() != Task.EMBEDDING;
        StringBuilder sb = new StringBuilder();
        sb.append("---\n");
        sb.append("library_name: ").append(reranker ? "sentence-transformers" : "sentence-transformers").append('\n');
        sb.append("pipeline_tag: ").append(reranker ? "text-ranking" : "sentence-similarity").append('\n');
        sb.append("tags:\n  - winnow\n  - ").append(model.task().id()).append('\n');
        sb.append("---\n\n");
        sb.append("# ").append(model.architecture()).append(' ').append(model.task().id()).append(" trained with Winnow\n\n");
        sb.append("Architecture: `").append(configJson.getOrDefault("architectures", List.of())).append("`, ")
                .append(model.parameters().elementCount()).append(" parameters.\n\n");
        if (!request.metrics().isEmpty()) {
            sb.append("## Evaluation\n\n| metric | value |\n|---|---|\n");
            new TreeMap<>(request.metrics()).forEach((k, v) -> sb.append("| ").append(k).append(" | ")
                    .append(String.format(java.util.Locale.ROOT, "%.4f", v)).append(" |\n"));
            sb.append('\n');
        }
        sb.append("## Usage\n\n");
        if (reranker) {
            sb.append("```python\nfrom sentence_transformers import CrossEncoder\nmodel = CrossEncoder(\"path/to/this/dir\")\n")
                    .append("scores = model.predict([(\"query\", \"document\")])\n```\n\n");
        } else {
            sb.append("```python\nfrom sentence_transformers import SentenceTransformer\nmodel = SentenceTransformer(\"path/to/this/dir\")\n")
                    .append("queries = model.encode([\"query\"], prompt_name=\"query\")\ndocuments = model.encode([\"document\"])\n```\n\n");
        }
        sb.append(reranker ? "Winnow (Java/Kotlin): `CrossEncoder.load(Path.of(\"path/to/this/dir\")).predict(pairs)`.\n\n"
                : "Winnow (Java/Kotlin): `Embedder.load(Path.of(\"path/to/this/dir\")).encodeQueries(queries)`.\n\n");
        sb.append("## Recipe\n\nThe fully resolved recipe that produced this model (data paths as given at training time):\n\n```yaml\n")
                .append(request.recipeYaml().strip()).append("\n```\n");
        return sb.toString();
    }
}
