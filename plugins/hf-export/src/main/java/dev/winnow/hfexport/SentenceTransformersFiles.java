package dev.winnow.hfexport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.api.UserException;
import dev.winnow.api.export.EmbeddingExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files that make an embedding export load in sentence-transformers as the same pipeline Winnow trained:
 * {@code modules.json} (Transformer, Pooling, and Normalize when vectors are normalised),
 * {@code 1_Pooling/config.json}, {@code sentence_bert_config.json} and {@code config_sentence_transformers.json}
 * with the query and document prompts. A closing token the template appended (Qwen3-Embedding's
 * {@code <|endoftext|>}) is written into {@code tokenizer.json}'s post-processor, as the official Qwen3-Embedding
 * tokenizer has it.
 */
final class SentenceTransformersFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SentenceTransformersFiles() {}

    static void write(Path out, EmbeddingExport e, Map<String, Object> configJson) throws IOException {
        List<Map<String, Object>> modules = new ArrayList<>();
        modules.add(module(0, "", "sentence_transformers.models.Transformer"));
        modules.add(module(1, "1_Pooling", "sentence_transformers.models.Pooling"));
        if (e.normalize()) {
            modules.add(module(2, "2_Normalize", "sentence_transformers.models.Normalize"));
            Files.createDirectories(out.resolve("2_Normalize"));
        }
        write(out.resolve("modules.json"), modules);

        Object hidden = configJson.get("hidden_size");
        if (!(hidden instanceof Number)) {
            throw new IllegalStateException("config.json has no hidden_size; cannot write 1_Pooling/config.json");
        }
        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", ((Number) hidden).intValue());
        pooling.put("pooling_mode_cls_token", e.pooling().equals("cls"));
        pooling.put("pooling_mode_mean_tokens", e.pooling().equals("mean"));
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        pooling.put("pooling_mode_weightedmean_tokens", false);
        pooling.put("pooling_mode_lasttoken", e.pooling().equals("last"));
        pooling.put("include_prompt", true);
        Files.createDirectories(out.resolve("1_Pooling"));
        write(out.resolve("1_Pooling/config.json"), pooling);

        write(out.resolve("sentence_bert_config.json"), Map.of("max_seq_length", e.maxLength(), "do_lower_case", false));

        Map<String, Object> st = new LinkedHashMap<>();
        st.put("__version__", Map.of("sentence_transformers", "3.0.1", "winnow", "0.1.0"));
        Map<String, String> prompts = new LinkedHashMap<>();
        prompts.put("query", e.queryPrompt());
        prompts.put("document", e.documentPrompt());
        st.put("prompts", prompts);
        st.put("default_prompt_name", null);
        st.put("similarity_fn_name", "cosine");
        write(out.resolve("config_sentence_transformers.json"), st);

        if (e.closingToken() != null) {
            appendClosingToken(out.resolve("tokenizer.json"), e.closingToken());
        }
    }

    /**
     * Makes the tokenizer append {@code token} to every sequence (a TemplateProcessing post-processor, chained
     * after an existing one), unless its post-processor already does.
     */
    static void appendClosingToken(Path tokenizerJson, String token) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new UserException("the export needs " + tokenizerJson.getFileName() + " to record the closing token '"
                    + token + "', and the source model has none");
        }
        ObjectNode root = (ObjectNode) JSON.readTree(tokenizerJson.toFile());
        JsonNode existing = root.get("post_processor");
        if (existing != null && !existing.isNull() && existing.toString().contains("\"" + jsonEscape(token) + "\"")) {
            return; // already appended, as in the official Qwen3-Embedding tokenizer
        }
        long id = -1;
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("content").asText().equals(token)) {
                id = added.path("id").asLong();
            }
        }
        if (id < 0 && root.path("model").path("vocab").has(token)) {
            id = root.path("model").path("vocab").path(token).asLong();
        }
        if (id < 0) {
            throw new UserException(tokenizerJson + " has no token '" + token + "' to append");
        }
        ObjectNode template = JSON.createObjectNode();
        template.put("type", "TemplateProcessing");
        ArrayNode single = template.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", token).put("type_id", 0);
        ArrayNode pair = template.putArray("pair");
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", token).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", token).put("type_id", 1);
        ObjectNode special = template.putObject("special_tokens").putObject(token);
        special.put("id", token);
        special.putArray("ids").add(id);
        special.putArray("tokens").add(token);
        if (existing == null || existing.isNull()) {
            root.set("post_processor", template);
        } else {
            ObjectNode sequence = JSON.createObjectNode();
            sequence.put("type", "Sequence");
            sequence.putArray("processors").add(existing).add(template);
            root.set("post_processor", sequence);
        }
        Path tmp = tokenizerJson.resolveSibling(tokenizerJson.getFileName() + ".tmp");
        Files.writeString(tmp, new ObjectMapper().writeValueAsString(root));
        Files.move(tmp, tokenizerJson, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static Map<String, Object> module(int idx, String path, String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idx", idx);
        m.put("name", Integer.toString(idx));
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    private static void write(Path file, Object value) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(value) + "\n");
    }
}
