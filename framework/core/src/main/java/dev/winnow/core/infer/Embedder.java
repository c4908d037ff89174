package dev.winnow.core.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.Encoded;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An embedding model for inference: {@code encode(texts)} returns one vector per text, pooled as the model's
 * sentence-transformers {@code 1_Pooling/config.json} says (else mean), L2-normalised by default.
 */
public final class Embedder implements AutoCloseable {
    private final NDManager manager;
    private final TextModel text;
    private final int batchSize;
    private final String queryPrompt;
    private final String documentPrompt;
    private final int dimensions;
    private final boolean owner;
    private final boolean normalizes;
    private final TruncationCounter truncation = new TruncationCounter();

    private Embedder(NDManager manager, TextModel text, int batchSize, String queryPrompt,
            String documentPrompt, int dimensions, boolean owner, boolean normalizes) {
        this.normalizes = normalizes;
        this.manager = manager;
        this.text = text;
        this.batchSize = batchSize;
        this.queryPrompt = queryPrompt;
        this.documentPrompt = documentPrompt;
        this.dimensions = dimensions;
        this.owner = owner;
    }

    public static Embedder load(Path directory) {
        return load(directory.toString(), null, true, 512, 32, "auto");
    }

    /**
     * @param pooling cls, mean or last; null reads the model's pooling config (mean when it has none)
     */
    public static Embedder load(String source, @Nullable String pooling, boolean normalize, int maxLength, int batchSize, String device) {
        WinnowEngine.start();
        ModelDirectory dir = ModelDirectory.locate(source, "main");
        Device target = WinnowEngine.device(device);
        NDManager manager = NDManager.newBaseManager(target);
        try {
            String mode = pooling != null ? pooling : poolingOf(dir.path());
            WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(dir, "auto",
                    ModelOptions.of(Task.EMBEDDING).withPooling(mode).withNormalize(normalize), manager);
            HfTokenizer tokenizer = HfTokenizer.load(dir.tokenizerDir());
            JsonNode prompts = readJson(dir.path().resolve("config_sentence_transformers.json")).path("prompts");
            return new Embedder(manager, TextModel.of(model, tokenizer, maxLength), batchSize,
                    prompts.path("query").asText(""), prompts.path("document").asText(""), 0, true, normalize);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** One vector per text, in order, each text encoded as it is (no prompt). */
    public float[][] encode(List<String> texts) {
        return encode(texts, "");
    }

    /**
     * Queries: each text after the model's query prompt ({@code prompts.query} of
     * {@code config_sentence_transformers.json}, as sentence-transformers' {@code prompt_name="query"}; for
     * Qwen3-Embedding {@code "Instruct: ...\nQuery:"}).
     */
    public float[][] encodeQueries(List<String> queries) {
        return encode(queries, queryPrompt);
    }

    /** Documents: each text after the model's document prompt ({@code prompts.document}; usually none). */
    public float[][] encodeDocuments(List<String> documents) {
        return encode(documents, documentPrompt);
    }

    /** The prompt {@link #encodeQueries} puts before each query. */
    public String queryPrompt() {
        return queryPrompt;
    }

    /**
     * The same embedder returning only the first {@code dimensions} components of each vector, re-normalised
     * (Matryoshka truncation, as sentence-transformers' {@code truncate_dim}); it shares this one's model.
     */
    public Embedder truncated(int dimensions) {
        if (dimensions < 1) {
            throw new UserException("Matryoshka dimensions must be at least 1, got " + dimensions);
        }
        return new Embedder(manager, text, batchSize, queryPrompt, documentPrompt, dimensions, false, normalizes);
    }

    private float[][] encode(List<String> texts, String prompt) {
        return vectors(tokenize(texts, prompt));
    }

    /**
     * Tokenizes texts after {@code prompt} (counting truncations) without running the model: a server tokenizes
     * on arrival and batches across requests through {@link #vectors}.
     */
    public List<Encoded> tokenize(List<String> texts, String prompt) {
        List<Encoded> encoded = new ArrayList<>(texts.size());
        for (String t : texts) {
            Encoded e = text.tokenizer().encodeSingle(prompt + t, -1, text.maxLength());
            truncation.record(e.truncated());
            encoded.add(e);
        }
        return encoded;
    }

    /**
     * One vector per tokenized text, in order ({@code encode(texts) == vectors(tokenize(texts, ""))}); each text's
     * vector does not depend on the other texts in the call, to the bit ({@link TextVectors#encodeExact}).
     */
    public float[][] vectors(List<Encoded> encoded) {
        return vectors(encoded, normalizes);
    }

    /**
     * As {@link #vectors(List)}, L2-normalised or not. An embedder loaded with {@code normalize = false} can give
     * both: normalising here runs the same operation on the same rows as the model's own normalisation, so the
     * normalised vectors equal those of an embedder loaded with {@code normalize = true}, to the bit.
     */
    public float[][] vectors(List<Encoded> encoded, boolean normalize) {
        if (normalizes && !normalize) {
            throw new UserException("this embedder was loaded with normalize = true: its vectors are normalised inside"
                    + " the model; load it with normalize = false to get raw pooled vectors");
        }
        float[][] out = TextVectors.encodeExact(text, encoded, manager, normalize && !normalizes);
        if (dimensions > 0) {
            for (int i = 0; i < out.length; i++) {
                if (dimensions > out[i].length) {
                    throw new UserException("cannot truncate " + out[i].length + "-dimensional embeddings to " + dimensions);
                }
                float[] v = java.util.Arrays.copyOf(out[i], dimensions);
                if (!normalize) {
                    out[i] = v;
                    continue;
                }
                double norm = 0;
                for (float x : v) {
                    norm += (double) x * x;
                }
                float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
                for (int j = 0; j < v.length; j++) {
                    v[j] *= inv;
                }
                out[i] = v;
            }
        }
        return out;
    }

    /** Whether the model itself L2-normalises ({@code normalize} at load). */
    public boolean normalizes() {
        return normalizes;
    }

    /** The prompt {@link #encodeDocuments} puts before each document. */
    public String documentPrompt() {
        return documentPrompt;
    }

    /** The longest input in tokens; longer ones are cut. */
    public int maxLength() {
        return text.maxLength();
    }

    /** The vector size (0 when not truncated: the model's hidden size, known after the first call). */
    public int dimensions() {
        return dimensions;
    }

    public TruncationCounter truncation() {
        return truncation;
    }

    @Override
    public void close() {
        if (!owner) {
            return; // a truncated view: the embedder it came from owns the model
        }
        try {
            text.tokenizer().close();
        } finally {
            manager.close();
        }
    }

    /** sentence-transformers' pooling config of a model directory: cls, mean or last (lasttoken); mean by default. */
    static String poolingOf(Path dir) {
        JsonNode n = readJson(dir.resolve("1_Pooling/config.json"));
        if (n.path("pooling_mode_cls_token").asBoolean(false)) {
            return "cls";
        }
        if (n.path("pooling_mode_lasttoken").asBoolean(false)) {
            return "last";
        }
        return "mean";
    }

    /** A sentence-transformers config file; an empty node when absent. */
    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UserException(file + " is not valid JSON: " + e.getMessage());
        }
    }
}
