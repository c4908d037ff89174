package dev.winnow.core.annotate;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Teacher options: a recipe's {@code data.teacher} section and the options of {@code runner annotate}.
 *
 * <p>{@code kind: auto} takes a directory with sentence-transformers' {@code modules.json} or {@code 1_Pooling}
 * for an embedding model, one whose {@code config.json} names a {@code *ForSequenceClassification} (or a causal LM
 * without those files, a generative reranker) for a reranker, and anything else (a bare encoder such as a
 * langchain4j jar) for an embedding model.
 */
@Doc("score every training (query, candidate) with a teacher (a reranker's logit or an embedding model's cosine) into"
        + " teacher scores for distillation losses (FlagEmbedding pos_scores/neg_scores)")
public record TeacherOptions(
        @Doc("teacher model: a directory, a Hub id or maven:group:artifact:version (default: model.source)")
                @Nullable String model,
        @Doc("teacher kind: auto, reranker (raw logit) or embedding (cosine of query and document)") @Default("auto")
                String kind,
        @Doc("embedding pooling: cls, mean or last (default: the model's 1_Pooling config, else mean)")
                @Nullable String pooling,
        @Doc("embedding teacher: text put before every query (default: the model's own query prompt, if any)")
                @Nullable String queryPrompt,
        @Doc("texts or pairs per batch") @Default("32") @Range(min = 1) int batchSize,
        @Doc("tokens per input (query and document together for a reranker); longer ones are truncated")
                @Default("512") @Range(min = 8) int maxLength) {

    public static final List<String> KINDS = List.of("auto", "reranker", "embedding");
    public static final List<String> POOLINGS = List.of("cls", "mean", "last");

    public static TeacherOptions defaults() {
        return new TeacherOptions(null, "auto", null, null, 32, 512);
    }

    /** What is wrong (by key; messages start with the value), ranges aside. */
    public Map<String, String> problems() {
        Map<String, String> problems = new LinkedHashMap<>();
        if (!KINDS.contains(kind)) {
            problems.put("kind", "'" + kind + "' is not a teacher kind; use one of " + String.join(", ", KINDS));
        }
        if (pooling != null && !POOLINGS.contains(pooling)) {
            problems.put("pooling", "'" + pooling + "' is not a pooling; use one of " + String.join(", ", POOLINGS));
        }
        if (pooling != null && "reranker".equals(kind)) {
            problems.put("pooling", "'" + pooling + "' applies to an embedding teacher only (kind is reranker)");
        }
        if (queryPrompt != null && "reranker".equals(kind)) {
            problems.put("query_prompt", "applies to an embedding teacher only (kind is reranker)");
        }
        return problems;
    }
}
