package dev.winnow.core.infer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.engine.WinnowEngine;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.text.Batches;
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
    private final WinnowModel model;
    private final HfTokenizer tokenizer;
    private final int maxLength;
    private final int batchSize;
    private final TruncationCounter truncation = new TruncationCounter();

    private Embedder(NDManager manager, WinnowModel model, HfTokenizer tokenizer, int maxLength, int batchSize) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.batchSize = batchSize;
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
                    new ModelOptions(Task.EMBEDDING, mode, normalize, 1, Map.of()), manager);
            HfTokenizer tokenizer = HfTokenizer.load(dir.tokenizerDir());
            return new Embedder(manager, model, tokenizer, Math.min(maxLength, tokenizer.modelMaxLength()), batchSize);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** One vector per text, in order. */
    public float[][] encode(List<String> texts) {
        List<Encoded> encoded = new ArrayList<>(texts.size());
        for (String t : texts) {
            Encoded e = tokenizer.encode(t, true);
            if (e.ids().length > maxLength) {
                long[] ids = java.util.Arrays.copyOf(e.ids(), maxLength);
                ids[maxLength - 1] = e.ids()[e.ids().length - 1]; // keep the closing special token
                e = new Encoded(ids, java.util.Arrays.copyOf(e.typeIds(), maxLength), true);
            }
            truncation.record(e.truncated());
            encoded.add(e);
        }
        float[][] out = new float[texts.size()][];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int[] batch : Batches.byLength(encoded, batchSize)) {
                List<Encoded> rows = new ArrayList<>();
                for (int i : batch) {
                    rows.add(encoded.get(i));
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray vectors = model.forward(Batches.pad(rows, tokenizer.padId(), tokenizer.padLeft(), scope), false);
                    float[] flat = vectors.toFloatArray();
                    int dim = flat.length / batch.length;
                    for (int r = 0; r < batch.length; r++) {
                        out[batch[r]] = java.util.Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }

    public TruncationCounter truncation() {
        return truncation;
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            manager.close();
        }
    }

    /** sentence-transformers' pooling config of a model directory: cls, mean or last (lasttoken); mean by default. */
    static String poolingOf(Path dir) {
        Path config = dir.resolve("1_Pooling/config.json");
        if (!Files.isRegularFile(config)) {
            return "mean";
        }
        try {
            JsonNode n = new ObjectMapper().readTree(config.toFile());
            if (n.path("pooling_mode_cls_token").asBoolean(false)) {
                return "cls";
            }
            if (n.path("pooling_mode_lasttoken").asBoolean(false)) {
                return "last";
            }
            return "mean";
        } catch (IOException e) {
            return "mean";
        }
    }
}
