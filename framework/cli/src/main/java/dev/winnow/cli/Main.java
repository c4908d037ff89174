package dev.winnow.cli;

import dev.winnow.api.UserException;
import dev.winnow.nn.engine.WinnowEngine;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code runner <recipe.yaml> [key=value ...]} and its sub-commands. Exit codes: 0 success, 2 a user error (bad
 * recipe, missing file: the message alone, no stack trace), 1 an internal failure.
 */
public final class Main {
    public static final int OK = 0;
    public static final int INTERNAL_ERROR = 1;
    public static final int USER_ERROR = 2;
    /** A run stopped by Ctrl-C after saving its checkpoint (128 + SIGINT, as shells report it). */
    public static final int INTERRUPTED = 130;

    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        for (Command c : List.of(new RunCommand(), new ValidateCommand(), new PluginsCommand(), new ResumeCommand(),
                new ScoreCommand(), new MineCommand(), new AnnotateCommand(), new ImportOnnxCommand(), new ServeCommand())) {
            commands.put(c.name(), c);
        }
    }

    public static void main(String[] args) {
        WinnowEngine.configureOffline();
        int code = new Main(System.out, System.err).execute(Arrays.asList(args));
        System.out.flush();
        System.exit(code);
    }

    /** Runs a command line with the given streams and returns its exit code; never throws (for embedding and tests). */
    public static int run(List<String> argv, PrintStream out, PrintStream err) {
        return new Main(out, err).execute(argv);
    }

    /** Runs the command line and returns the exit code; never throws. */
    int execute(List<String> argv) {
        try {
            if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("-h") || argv.get(0).equals("help")) {
                if (argv.size() > 1 && commands.containsKey(argv.get(1))) {
                    out.println(commands.get(argv.get(1)).help());
                } else {
                    out.println(usage());
                }
                return argv.isEmpty() ? USER_ERROR : OK;
            }
            if (argv.get(0).equals("--version")) {
                out.println("winnow " + Version.current());
                return OK;
            }
            String first = argv.get(0);
            Command command = commands.get(first);
            List<String> rest = argv.subList(1, argv.size());
            if (command == null) {
                if (first.endsWith(".yaml") || first.endsWith(".yml")) {
                    command = commands.get("run");
                    rest = argv;
                } else {
                    throw new UserException("unknown command '" + first + "'" + suggestion(first)
                            + "; commands: " + String.join(", ", commands.keySet())
                            + " (or a recipe file: runner <recipe.yaml>)");
                }
            }
            if (rest.contains("--help") || rest.contains("-h")) {
                out.println(command.help());
                return OK;
            }
            return command.run(new ArrayList<>(rest), out);
        } catch (UserException e) {
            err.println("error: " + e.getMessage());
            return USER_ERROR;
        } catch (OutOfMemoryError e) {
            err.println("error: the JVM ran out of heap memory (" + e.getMessage() + "); raise it with "
                    + "WINNOW_JAVA_OPTS=-Xmx<size> or lower train.batch_size / model.max_length");
            return INTERNAL_ERROR;
        } catch (RuntimeException | LinkageError e) {
            err.println("internal error: " + e);
            e.printStackTrace(err);
            return INTERNAL_ERROR;
        }
    }

    private String suggestion(String typed) {
        return dev.winnow.core.recipe.Suggestions.didYouMean(typed, commands.keySet());
    }

    String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Winnow ").append(Version.current()).append(": fine-tune, evaluate and export rerankers and embedding models from YAML recipes.\n\n");
        sb.append("Usage:\n  runner <recipe.yaml> [key.path=value ...]   run a recipe (same as: runner run ...)\n");
        sb.append("  runner <command> [options]\n\nCommands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format("  %-12s %s%n", c.name(), c.summary()));
        }
        sb.append("\nrunner <command> --help shows a command's options. Exit codes: 0 success, 2 user error, 1 internal error.");
        return sb.toString();
    }
}
