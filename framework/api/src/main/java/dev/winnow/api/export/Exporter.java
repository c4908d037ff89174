package dev.winnow.api.export;

/** Writes a trained model in some layout (Hugging Face, PEFT, sentence-transformers). */
@FunctionalInterface
public interface Exporter {
    void export(ExportRequest request);
}
