package dev.winnow.core.infer;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.eval.Scorer;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.text.TruncationCounter;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores (query, document) pairs with a reranker: renders each pair through the template, batches by length (so
 * padding is small), runs the model without autograd, and returns scores in the caller's order. Every batch's
 * tensors live in a sub-manager closed after the batch, so scoring any number of pairs holds memory flat.
 */
public final class PairScorer implements Scorer {
    private final TextModel model;
    private final PromptTemplate template;
    private final int batchSize;
    private final NDManager manager;
    private final boolean exact;
    private final TruncationCounter truncation = new TruncationCounter();

    public PairScorer(TextModel model, PromptTemplate template, int batchSize, NDManager manager) {
        this(model, template, batchSize, manager, false);
    }

    /**
     * @param exact every pair's score independent of the other pairs in the call, to the bit
     *     ({@link TextVectors#encodeExact}: {@code CrossEncoder} and {@code runner serve}); else batches of
     *     {@code batchSize} by length (evaluation during training)
     */
    public PairScorer(TextModel model, PromptTemplate template, int batchSize, NDManager manager, boolean exact) {
        this.model = model;
        this.template = template;
        this.batchSize = batchSize;
        this.manager = manager;
        this.exact = exact;
    }

    @Override
    public float[] score(List<TemplateInput> pairs) {
        return scoreEncoded(render(pairs));
    }

    /**
     * Renders and tokenizes pairs through the template (counting truncations), without running the model: a server
     * tokenizes on arrival and batches the results across requests through {@link #scoreEncoded}.
     */
    public List<Encoded> render(List<TemplateInput> pairs) {
        List<Encoded> encoded = new ArrayList<>(pairs.size());
        for (TemplateInput p : pairs) {
            Encoded e = template.render(p, model.tokenizer(), model.maxLength());
            truncation.record(e.truncated());
            encoded.add(e);
        }
        return encoded;
    }

    /** One score per rendered pair, in order ({@code score(pairs) == scoreEncoded(render(pairs))}). */
    public float[] scoreEncoded(List<Encoded> encoded) {
        // one output row per pair: its score (the first logit when the head has several)
        float[][] rows = exact ? TextVectors.encodeExact(model, encoded, manager, false)
                : TextVectors.encode(model, encoded, batchSize, manager, false);
        float[] out = new float[encoded.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows[i][0];
        }
        return out;
    }

    /** The longest input in tokens; longer ones are cut. */
    public int maxLength() {
        return model.maxLength();
    }

    /** Inputs seen and truncated so far. */
    public TruncationCounter truncation() {
        return truncation;
    }
}
