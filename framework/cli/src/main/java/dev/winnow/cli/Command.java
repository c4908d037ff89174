package dev.winnow.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code runner} sub-command. */
interface Command {
    String name();

    /** One line for {@code runner --help}. */
    String summary();

    /** The full text of {@code runner <name> --help}. */
    String help();

    /** Runs the command; returns the exit code. User mistakes are thrown as UserException. */
    int run(List<String> args, PrintStream out);
}
