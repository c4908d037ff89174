package dev.winnow.cli;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.UserException;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.JsonRows;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.mine.Corpus;
import dev.winnow.core.mine.HardNegativeMiner;
import dev.winnow.core.mine.MineOptions;
import dev.winnow.core.mine.MinedWriter;
import dev.winnow.core.mine.TextEncoder;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.ConfigDefaults;
import dev.winnow.core.recipe.Position;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** {@code runner mine}: hard negatives for query rows, from an embedding model's retrieval (FlagEmbedding hn_mine). */
final class MineCommand implements Command {
    private static final Set<String> VALUED = Set.of("model", "input", "output", "format", "corpus", "query-prompt",
            "pooling", "top-k", "range-min", "range-max", "num-negatives", "margin", "seed", "batch-size",
            "max-length", "output-format", "device");

    @Override
    public String name() {
        return "mine";
    }

    @Override
    public String summary() {
        return "mine hard negatives for query rows with an embedding model (FlagEmbedding hn_mine)";
    }

    @Override
    public String help() {
        MineOptions d = MineOptions.defaults();
        return """
                runner mine --model <dir|hub-id|maven:...> --input <file> --output <out.jsonl>
                            [--format flagembedding] [--corpus <texts.jsonl>] [--query-prompt <text>]
                            [--pooling cls|mean|last] [--top-k <range-max>] [--range-min %d] [--range-max %d]
                            [--num-negatives %d] [--margin <m>] [--seed 42] [--batch-size %d] [--max-length %d]
                            [--output-format flagembedding|mteb] [--device auto]

                Encodes the queries (with --query-prompt in front) and a corpus with the embedding model, retrieves
                each query's exact top-k by cosine similarity, and samples --num-negatives negatives from ranks
                [--range-min, --range-max) (0-based; FlagEmbedding's range_for_sampling 10-210), leaving out the
                query's known positives and its own text. --margin m also leaves out candidates scoring above
                (the query's lowest positive score - m) as likely false negatives (sentence-transformers'
                absolute_margin); absent, no candidate is dropped by score. A query with too few candidates keeps
                what there is, and the shortfall is reported. The mined negatives replace the input's negatives.

                --format is the input's row format (any format of runner plugins: flagembedding, mteb,
                labelled_list, ...); queries without a positive are counted and not written. The corpus is every
                distinct document of the input (of those queries too), or the {"text": ...} rows of --corpus (the input's positives are
                added to it). Output rows: flagembedding {qid, query, pos[], neg[]} or mteb {qid, query,
                positive[], negative[]}, written atomically. The same --seed gives the same output."""
                .formatted(d.rangeMin(), d.rangeMax(), d.numNegatives(), d.batchSize(), d.maxLength());
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, VALUED, Set.of());
        if (!args.positionals().isEmpty()) {
            throw new UserException("runner mine: unexpected argument '" + args.positionals().get(0)
                    + "'; every input is an option (see runner mine --help)");
        }
        String model = args.required("model");
        String input = args.required("input");
        Path output = Path.of(args.required("output"));
        MineOptions d = MineOptions.defaults();
        Integer topK = args.option("top-k") == null ? null : integer(args, "top-k", 1);
        Double margin = args.option("margin") == null ? null : decimal(args, "margin");
        MineOptions options = new MineOptions(model, args.option("pooling"), args.option("corpus"),
                args.option("query-prompt"), topK, intOr(args, "range-min", 0, d.rangeMin()),
                intOr(args, "range-max", 1, d.rangeMax()), intOr(args, "num-negatives", 1, d.numNegatives()), margin,
                args.option("seed") == null ? 42L : longValue(args, "seed"), intOr(args, "batch-size", 1, d.batchSize()),
                intOr(args, "max-length", 8, d.maxLength()));
        Map<String, String> problems = options.problems(k -> "--" + k.replace('_', '-'));
        if (!problems.isEmpty()) {
            List<String> lines = new ArrayList<>();
            problems.forEach((k, m) -> lines.add("--" + k.replace('_', '-') + " " + m));
            throw new UserException("runner mine: " + String.join("; ", lines));
        }
        MinedWriter.Format outputFormat = MinedWriter.Format.parse(
                args.option("output-format") == null ? "flagembedding" : args.option("output-format"), "--output-format");

        ComponentRegistry registry = ComponentRegistry.discover();
        String formatId = args.option("format") == null ? "flagembedding" : args.option("format");
        var registration = registry.find(ComponentKind.FORMAT, formatId).orElseThrow(() -> new UserException(
                "runner mine: --format '" + formatId + "' is not a dataset format; available: "
                        + String.join(", ", registry.ids(ComponentKind.FORMAT))));
        DatasetFormat format = new Components(registry, options.seed(), Path.of(".")).create(new ComponentSpec<>(
                registration, ConfigDefaults.of(registration.configType()), Position.defaultOf("format")));
        List<Path> inputs = JsonRows.resolve(input, Path.of("."));
        for (Path p : inputs) {
            if (p.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
                throw new UserException("runner mine: --output " + output + " is also the input; write to another file");
            }
        }
        // queries without a positive are kept while reading so that their documents join the corpus
        Dataset data = new DatasetReader(format, DatasetReader.Options.evaluation()).readAll(inputs);
        List<QueryRecord> queries = data.records().stream().filter(q -> !q.positives().isEmpty()).toList();
        out.println("input: " + data.report().summary());
        if (queries.size() < data.records().size()) {
            out.println("input: " + (data.records().size() - queries.size()) + " queries without a positive are not"
                    + " mined and not written" + (options.corpus() == null ? " (their documents are in the corpus)" : ""));
        }
        if (queries.isEmpty()) {
            throw new UserException("runner mine: " + input + " holds no query with a positive to mine for");
        }
        Corpus corpus = options.corpus() == null ? Corpus.of(data.records())
                : Corpus.read(JsonRows.resolve(options.corpus(), Path.of(".")));
        long start = System.nanoTime();
        HardNegativeMiner.Result result;
        try (Embedder embedder = Embedder.load(model, options.pooling(), true, options.maxLength(), options.batchSize(),
                args.option("device") == null ? "auto" : args.option("device"))) {
            result = HardNegativeMiner.mine(queries, corpus, TextEncoder.of(embedder), options, options.seed(), out);
        }
        MinedWriter.write(result.queries(), outputFormat, output);
        result.stats().lines().forEach(line -> out.println("  " + line));
        out.printf(java.util.Locale.ROOT, "wrote %d %s rows to %s in %.1f s%n", result.queries().size(),
                outputFormat.id(), output, (System.nanoTime() - start) / 1e9);
        return Main.OK;
    }

    private static int intOr(Args args, String name, int min, int otherwise) {
        return args.option(name) == null ? otherwise : integer(args, name, min);
    }

    private static int integer(Args args, String name, int min) {
        String v = args.option(name);
        try {
            int n = Integer.parseInt(v == null ? "" : v.trim());
            if (n < min) {
                throw new UserException("runner mine: --" + name + " must be at least " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UserException("runner mine: --" + name + " must be a whole number (at least " + min + "), got '"
                    + v + "'");
        }
    }

    private static long longValue(Args args, String name) {
        String v = args.option(name);
        try {
            return Long.parseLong(v == null ? "" : v.trim());
        } catch (NumberFormatException e) {
            throw new UserException("runner mine: --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    private static @Nullable Double decimal(Args args, String name) {
        String v = args.option(name);
        try {
            double x = Double.parseDouble(v == null ? "" : v.trim());
            if (!(x >= 0) || Double.isInfinite(x)) {
                throw new UserException("runner mine: --" + name + " must be a number of at least 0, got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new UserException("runner mine: --" + name + " must be a number (at least 0), got '" + v + "'");
        }
    }
}
