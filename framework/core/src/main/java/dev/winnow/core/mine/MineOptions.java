package dev.winnow.core.mine;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Hard-negative mining options: a recipe's {@code data.mine} section and the options of {@code runner mine}.
 * Defaults are FlagEmbedding's {@code hn_mine.py}: {@code range_for_sampling 10-210}, {@code negative_number 15}.
 *
 * <p>Ranks are 0-based positions in the query's retrieval list (known positives and the query's own text take
 * ranks too, as in FlagEmbedding, and are then left out); negatives are sampled from ranks {@code [range_min,
 * range_max)}. The margin is sentence-transformers' {@code absolute_margin}: a candidate whose score is above the
 * query's lowest positive score minus the margin is dropped as a likely false negative.
 */
@Doc("mine hard negatives for the training queries with an embedding model, before grouping (FlagEmbedding hn_mine)")
public record MineOptions(
        @Doc("embedding model: a directory, a Hub id or maven:group:artifact:version (default: model.source)")
                @Nullable String model,
        @Doc("embedding pooling: cls, mean or last (default: model.pooling for the recipe's model, else the model's"
                + " 1_Pooling config, else mean)") @Nullable String pooling,
        @Doc("a file of {text} rows to mine from (default: every distinct document of the training data); the"
                + " training positives are added to it") @Nullable String corpus,
        @Doc("text put before every query when encoding, e.g. BGE's 'Represent this sentence for searching relevant"
                + " passages: '") @Nullable String queryPrompt,
        @Doc("documents retrieved per query (default: range_max); recall of the known positives is reported at it")
                @Range(min = 1) @Nullable Integer topK,
        @Doc("first retrieval rank (0-based) negatives are sampled from") @Default("10") @Range(min = 0) int rangeMin,
        @Doc("ranks below this one (exclusive) are sampled from") @Default("210") @Range(min = 1) int rangeMax,
        @Doc("negatives sampled per query; they replace the data's own negatives") @Default("15") @Range(min = 1)
                int numNegatives,
        @Doc("drop candidates scoring above (lowest positive score - margin) as likely false negatives; absent = off")
                @Range(min = 0) @Nullable Double margin,
        @Doc("sampling seed (default: train.seed)") @Nullable Long seed,
        @Doc("texts per encoding batch") @Default("32") @Range(min = 1) int batchSize,
        @Doc("tokens per text; longer texts are truncated (counted)") @Default("512") @Range(min = 8) int maxLength) {

    public static final List<String> POOLINGS = List.of("cls", "mean", "last");

    /** FlagEmbedding's defaults, every optional key absent. */
    public static MineOptions defaults() {
        return new MineOptions(null, null, null, null, null, 10, 210, 15, null, null, 32, 512);
    }

    /** Documents retrieved per query: {@code top_k}, else {@code range_max}. */
    public int effectiveTopK() {
        return topK != null ? topK : rangeMax;
    }

    /**
     * What is wrong across keys (single-key ranges are checked where the options are bound), by key
     * ({@code range_min}, {@code top_k}, {@code pooling}); the messages start with the key's value.
     *
     * @param name how another key is spelled to the user: {@code range_max} becomes {@code data.mine.range_max}
     *     in a recipe, {@code --range-max} on the command line
     */
    public Map<String, String> problems(UnaryOperator<String> name) {
        Map<String, String> problems = new LinkedHashMap<>();
        if (rangeMin >= rangeMax) {
            problems.put("range_min", rangeMin + " must be below " + name.apply("range_max") + " (" + rangeMax
                    + "): negatives are sampled from ranks [range_min, range_max)");
        }
        if (topK != null && topK < rangeMax) {
            problems.put("top_k", topK + " must be at least " + name.apply("range_max") + " (" + rangeMax
                    + "): the ranks sampled from are among the top_k retrieved");
        }
        if (pooling != null && !POOLINGS.contains(pooling)) {
            problems.put("pooling", "'" + pooling + "' is not a pooling; use one of " + String.join(", ", POOLINGS));
        }
        return problems;
    }
}
