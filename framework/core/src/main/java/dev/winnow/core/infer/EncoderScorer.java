package dev.winnow.core.infer;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.eval.EmbeddingScorer;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An embedding model seen by evaluators: queries and documents rendered through the recipe's embedding template,
 * encoded without autograd, L2-normalised; a (query, document) pair scores its cosine.
 */
public final class EncoderScorer implements EmbeddingScorer {
    private final TextModel model;
    private final HfTokenizer tokenizer;
    private final EmbeddingTemplate template;
    private final int maxLength;
    private final int batchSize;
    private final NDManager manager;
    private final TruncationCounter truncation = new TruncationCounter();
    private @Nullable Map<List<Object>, float[]> memo;

    public EncoderScorer(TextModel model, EmbeddingTemplate template, int batchSize, NDManager manager) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = template;
        this.maxLength = model.maxLength();
        this.batchSize = batchSize;
        this.manager = manager;
    }

    /**
     * Runs {@code work} with vectors remembered by text: evaluators that share this scorer within it encode each
     * text once. The memory is dropped afterwards, as the weights change between evaluations.
     */
    public <T> T sharingVectors(java.util.function.Supplier<T> work) {
        memo = new HashMap<>();
        try {
            return work.get();
        } finally {
            memo = null;
        }
    }

    @Override
    public float[][] encodeQueries(List<QueryRecord> queries) {
        List<Encoded> encoded = new ArrayList<>(queries.size());
        List<List<Object>> keys = new ArrayList<>(queries.size());
        for (QueryRecord q : queries) {
            keys.add(java.util.Arrays.asList("q", q.query(), q.instruction()));
            encoded.add(record(template.query(q.query(), q.instruction(), tokenizer, maxLength)));
        }
        return vectors(keys, encoded);
    }

    @Override
    public float[][] encodeDocuments(List<String> documents) {
        List<Encoded> encoded = new ArrayList<>(documents.size());
        List<List<Object>> keys = new ArrayList<>(documents.size());
        for (String d : documents) {
            keys.add(List.of("d", d));
            encoded.add(record(template.document(d, tokenizer, maxLength)));
        }
        return vectors(keys, encoded);
    }

    private float[][] vectors(List<List<Object>> keys, List<Encoded> encoded) {
        Map<List<Object>, float[]> m = memo;
        if (m == null) {
            return TextVectors.encode(model, encoded, batchSize, manager, true);
        }
        List<Encoded> missing = new ArrayList<>();
        List<List<Object>> missingKeys = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            if (!m.containsKey(keys.get(i))) {
                missing.add(encoded.get(i));
                missingKeys.add(keys.get(i));
            }
        }
        float[][] fresh = TextVectors.encode(model, missing, batchSize, manager, true);
        for (int i = 0; i < fresh.length; i++) {
            m.put(missingKeys.get(i), fresh[i]);
        }
        float[][] out = new float[keys.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = m.get(keys.get(i));
        }
        return out;
    }

    /** The cosine of each pair; every distinct query (with its instruction) and document is encoded once. */
    @Override
    public float[] score(List<TemplateInput> pairs) {
        Map<List<String>, Integer> queryIndex = new HashMap<>();
        Map<String, Integer> docIndex = new HashMap<>();
        List<Encoded> queries = new ArrayList<>();
        List<Encoded> docs = new ArrayList<>();
        List<List<Object>> queryKeys = new ArrayList<>();
        List<List<Object>> docKeys = new ArrayList<>();
        int[] qi = new int[pairs.size()];
        int[] di = new int[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            TemplateInput p = pairs.get(i);
            List<String> key = java.util.Arrays.asList(p.query(), p.instruction());
            qi[i] = queryIndex.computeIfAbsent(key, k -> {
                queries.add(record(template.query(p.query(), p.instruction(), tokenizer, maxLength)));
                queryKeys.add(java.util.Arrays.asList("q", p.query(), p.instruction()));
                return queries.size() - 1;
            });
            di[i] = docIndex.computeIfAbsent(p.document(), k -> {
                docs.add(record(template.document(p.document(), tokenizer, maxLength)));
                docKeys.add(List.of("d", p.document()));
                return docs.size() - 1;
            });
        }
        float[][] q = vectors(queryKeys, queries);
        float[][] d = vectors(docKeys, docs);
        float[] out = new float[pairs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = TextVectors.dot(q[qi[i]], d[di[i]]);
        }
        return out;
    }

    private Encoded record(Encoded e) {
        truncation.record(e.truncated());
        return e;
    }

    /** Inputs seen and truncated so far. */
    public TruncationCounter truncation() {
        return truncation;
    }
}
