package dev.winnow.cli;

import dev.winnow.api.UserException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A command's arguments: {@code --name value} options, {@code --flag} switches and positionals. Unknown options
 * are user errors that list the valid ones.
 */
final class Args {
    private final String command;
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private Args(String command) {
        this.command = command;
    }

    static Args parse(String command, List<String> raw, Set<String> valued, Set<String> flags) {
        Args args = new Args(command);
        for (int i = 0; i < raw.size(); i++) {
            String a = raw.get(i);
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq > 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name) && value == null) {
                    args.options.put(name, "true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= raw.size()) {
                            throw new UserException("runner " + command + ": option --" + name + " needs a value");
                        }
                        value = raw.get(++i);
                    }
                    args.options.put(name, value);
                } else {
                    List<String> valid = new ArrayList<>();
                    valued.forEach(v -> valid.add("--" + v + " <value>"));
                    flags.forEach(f -> valid.add("--" + f));
                    throw new UserException("runner " + command + ": unknown option --" + name
                            + (valid.isEmpty() ? "; it takes no options" : "; valid: " + String.join(", ", valid))
                            + " (see runner " + command + " --help)");
                }
            } else {
                args.positionals.add(a);
            }
        }
        return args;
    }

    @Nullable
    String option(String name) {
        return options.get(name);
    }

    String required(String name) {
        String v = options.get(name);
        if (v == null) {
            throw new UserException("runner " + command + ": --" + name + " is required (see runner " + command
                    + " --help)");
        }
        return v;
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    List<String> positionals() {
        return positionals;
    }
}
