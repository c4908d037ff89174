package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Running a recipe through the CLI and reading what the run wrote. */
final class Runs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Runs() {}

    /** Runs {@code runner <recipe> [key=value ...]} in-process and asserts it succeeded; returns its output. */
    static String run(Path recipe, String... overrides) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        List<String> args = new java.util.ArrayList<>(List.of(recipe.toString()));
        args.addAll(List.of(overrides));
        int code = dev.winnow.cli.Main.run(args, ps, ps);
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, log);
        return log;
    }

    /** The training losses logged in {@code metrics.jsonl}, in order. */
    static List<Double> losses(Path runDir) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            if (JSON.readValue(line, Map.class).get("loss") instanceof Number n) {
                losses.add(n.doubleValue());
            }
        }
        return losses;
    }

    /** Mean of the first and of the last {@code n} losses. */
    static double[] firstAndLast(List<Double> losses, int n) {
        double first = losses.subList(0, n).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(losses.size() - n, losses.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return new double[] {first, last};
    }
}
