package dev.winnow.cli;

import dev.winnow.api.ComponentKind;
import dev.winnow.api.UserException;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.annotate.Annotator;
import dev.winnow.core.annotate.Teacher;
import dev.winnow.core.annotate.TeacherOptions;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.JsonRows;
import dev.winnow.core.recipe.ComponentSpec;
import dev.winnow.core.recipe.ConfigDefaults;
import dev.winnow.core.recipe.Position;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.registry.Components;
import dev.winnow.core.train.Progress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code runner annotate}: teacher scores for every (query, candidate), as FlagEmbedding pos_scores/neg_scores. */
final class AnnotateCommand implements Command {
    private static final Set<String> VALUED = Set.of("teacher", "input", "output", "format", "kind", "pooling",
            "query-prompt", "batch-size", "max-length", "device");

    @Override
    public String name() {
        return "annotate";
    }

    @Override
    public String summary() {
        return "score every (query, candidate) with a teacher into FlagEmbedding pos_scores/neg_scores for distillation";
    }

    @Override
    public String help() {
        TeacherOptions d = TeacherOptions.defaults();
        return """
                runner annotate --teacher <dir|hub-id|maven:...> --input <file> --output <out.jsonl>
                                [--format flagembedding] [--kind auto|reranker|embedding] [--pooling cls|mean|last]
                                [--query-prompt <text>] [--batch-size %d] [--max-length %d] [--device auto]

                Scores every (query, candidate) of the input with the teacher: a reranker gives its raw logit, an
                embedding model the cosine of the query (after --query-prompt, default the model's own query
                prompt) and the document. --kind auto takes a directory with modules.json or 1_Pooling for an
                embedding model, a *ForSequenceClassification (or causal LM) config for a reranker, anything else
                (a bare encoder, a langchain4j jar) for an embedding model.

                --format is the input's row format (any format of runner plugins: flagembedding, mteb,
                labelled_list, ...; runner mine's output annotates as it is); queries without a positive are
                counted and not written. Output rows: FlagEmbedding {qid, query, pos[], neg[], pos_scores[],
                neg_scores[], prompt?}, in input order. The output appears only when complete (rows go to
                <output>.partial, synced every few queries, then renamed); run the same command again after an
                interruption and it continues after the rows already written, never scoring a query twice."""
                .formatted(d.batchSize(), d.maxLength());
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, VALUED, Set.of());
        if (!args.positionals().isEmpty()) {
            throw new UserException("runner annotate: unexpected argument '" + args.positionals().get(0)
                    + "'; every input is an option (see runner annotate --help)");
        }
        String teacherModel = args.required("teacher");
        String input = args.required("input");
        Path output = Path.of(args.required("output"));
        TeacherOptions d = TeacherOptions.defaults();
        TeacherOptions options = new TeacherOptions(teacherModel, args.option("kind") == null ? "auto" : args.option("kind"),
                args.option("pooling"), args.option("query-prompt"), intOr(args, "batch-size", 1, d.batchSize()),
                intOr(args, "max-length", 8, d.maxLength()));
        Map<String, String> problems = options.problems();
        if (!problems.isEmpty()) {
            List<String> lines = new ArrayList<>();
            problems.forEach((k, m) -> lines.add("--" + k.replace('_', '-') + " " + m));
            throw new UserException("runner annotate: " + String.join("; ", lines));
        }
        ComponentRegistry registry = ComponentRegistry.discover();
        String formatId = args.option("format") == null ? "flagembedding" : args.option("format");
        var registration = registry.find(ComponentKind.FORMAT, formatId).orElseThrow(() -> new UserException(
                "runner annotate: --format '" + formatId + "' is not a dataset format; available: "
                        + String.join(", ", registry.ids(ComponentKind.FORMAT))));
        DatasetFormat format = new Components(registry, 42, Path.of(".")).create(new ComponentSpec<>(
                registration, ConfigDefaults.of(registration.configType()), Position.defaultOf("format")));
        List<Path> inputs = JsonRows.resolve(input, Path.of("."));
        Path target = output.toAbsolutePath().normalize();
        for (Path p : inputs) {
            Path in = p.toAbsolutePath().normalize();
            if (in.equals(target) || in.equals(Annotator.partial(target))) {
                throw new UserException("runner annotate: --output " + output + " is also the input; write to another file");
            }
        }
        Dataset data = new DatasetReader(format, DatasetReader.Options.evaluation()).readAll(inputs);
        List<QueryRecord> queries = data.records().stream().filter(q -> !q.positives().isEmpty()).toList();
        out.println("input: " + data.report().summary());
        if (queries.size() < data.records().size()) {
            out.println("input: " + (data.records().size() - queries.size())
                    + " queries without a positive are not annotated and not written");
        }
        if (queries.isEmpty()) {
            throw new UserException("runner annotate: " + input + " holds no query with a positive to annotate");
        }
        Annotator.Result result;
        try (Teacher teacher = Teacher.load(options, args.option("device") == null ? "auto" : args.option("device"))) {
            out.println("teacher: " + teacher.describe());
            result = Annotator.annotate(queries, teacher, output, out, Progress.isTerminal());
        }
        out.printf(Locale.ROOT, "wrote %d flagembedding rows with pos_scores/neg_scores to %s (%d resumed, %d scored:"
                + " %d pairs in %.1f s, %.1f pairs/s)%n", result.records().size(), output, result.resumed(),
                result.scored(), result.pairs(), result.seconds(), result.pairsPerSecond());
        return Main.OK;
    }

    private static int intOr(Args args, String name, int min, int otherwise) {
        String v = args.option(name);
        if (v == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new UserException("runner annotate: --" + name + " must be at least " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UserException("runner annotate: --" + name + " must be a whole number (at least " + min
                    + "), got '" + v + "'");
        }
    }
}
