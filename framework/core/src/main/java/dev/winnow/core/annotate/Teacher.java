package dev.winnow.core.annotate;

import dev.winnow.core.infer.CrossEncoder;
import dev.winnow.core.infer.Embedder;
import dev.winnow.core.infer.TextPair;
import dev.winnow.core.model.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Scores (query, document) pairs: a reranker's raw logit or an embedding model's cosine similarity. */
public interface Teacher extends AutoCloseable {
    /** One score per pair, in order. */
    float[] score(List<TextPair> pairs);

    /** What the teacher is, for the log: "reranker maven:..." or "embedding ... (cosine)". */
    String describe();

    @Override
    void close();

    /** Loads the teacher the options name ({@code model} must be set). */
    static Teacher load(TeacherOptions options, String device) {
        String model = options.model();
        if (model == null) {
            throw new IllegalArgumentException("teacher options without a model");
        }
        String kind = options.kind().equals("auto") ? kindOf(ModelDirectory.locate(model, "main")) : options.kind();
        if (kind.equals("reranker")) {
            CrossEncoder ce = CrossEncoder.builder(model).optMaxLength(options.maxLength())
                    .optBatchSize(options.batchSize()).optDevice(device).build();
            return reranker(ce, "reranker " + model + " (raw logit)");
        }
        Embedder embedder = Embedder.load(model, options.pooling(), true, options.maxLength(), options.batchSize(), device);
        String prompt = options.queryPrompt() != null ? options.queryPrompt() : embedder.queryPrompt();
        return embedding(embedder, prompt, "embedding model " + model + " (cosine"
                + (prompt.isEmpty() ? "" : ", query prompt '" + prompt + "'") + ")");
    }

    /**
     * {@code reranker} or {@code embedding} for a model directory: sentence-transformers' pooling files mean an
     * embedding model; a sequence-classification (or causal LM) architecture a reranker; else an embedding model.
     */
    static String kindOf(ModelDirectory dir) {
        Path p = dir.path();
        if (Files.exists(p.resolve("modules.json")) || Files.isDirectory(p.resolve("1_Pooling"))) {
            return "embedding";
        }
        if (dir.config().get("architectures") instanceof List<?> names) {
            for (Object n : names) {
                String s = String.valueOf(n);
                if (s.endsWith("ForSequenceClassification") || s.endsWith("ForCausalLM")) {
                    return "reranker";
                }
            }
        }
        return "embedding";
    }

    static Teacher reranker(CrossEncoder ce, String description) {
        return new Teacher() {
            @Override
            public float[] score(List<TextPair> pairs) {
                return ce.predict(pairs);
            }

            @Override
            public String describe() {
                return description;
            }

            @Override
            public void close() {
                ce.close();
            }
        };
    }

    /** Cosine teacher over an embedder that L2-normalises; each distinct text is encoded once per call. */
    static Teacher embedding(Embedder embedder, String queryPrompt, String description) {
        return vectors(texts -> embedder.encode(texts), queryPrompt, description, embedder);
    }

    /**
     * Cosine teacher over any encoder of L2-normalised vectors (the score is their dot product).
     *
     * @param owner closed with the teacher, or null
     */
    static Teacher vectors(java.util.function.Function<List<String>, float[][]> encode, String queryPrompt,
            String description, @Nullable AutoCloseable owner) {
        return new Teacher() {
            @Override
            public float[] score(List<TextPair> pairs) {
                Map<String, Integer> queries = new HashMap<>();
                Map<String, Integer> docs = new HashMap<>();
                List<String> queryTexts = new ArrayList<>();
                List<String> docTexts = new ArrayList<>();
                for (TextPair p : pairs) {
                    queries.computeIfAbsent(p.query(), q -> {
                        queryTexts.add(queryPrompt + q);
                        return queryTexts.size() - 1;
                    });
                    docs.computeIfAbsent(p.document(), d -> {
                        docTexts.add(d);
                        return docTexts.size() - 1;
                    });
                }
                float[][] qv = encode.apply(queryTexts);
                float[][] dv = encode.apply(docTexts);
                float[] out = new float[pairs.size()];
                for (int i = 0; i < out.length; i++) {
                    float[] a = qv[queries.get(pairs.get(i).query())];
                    float[] b = dv[docs.get(pairs.get(i).document())];
                    double dot = 0;
                    for (int k = 0; k < a.length; k++) {
                        dot += (double) a[k] * b[k];
                    }
                    out[i] = (float) dot;
                }
                return out;
            }

            @Override
            public String describe() {
                return description;
            }

            @Override
            public void close() {
                if (owner != null) {
                    try {
                        owner.close();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        };
    }
}
