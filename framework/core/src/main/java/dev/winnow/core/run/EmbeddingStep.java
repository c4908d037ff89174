package dev.winnow.core.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.loss.GradCachedLoss;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.data.Group;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The training step of {@code task: embedding}: a micro-batch of groups (a query, its positive first, then its
 * negatives; or one labelled document for pair losses) becomes an {@link EmbeddingBatch} of query vectors
 * {@code [groups, dim]} and document vectors {@code [groups, width, dim]} with a padding mask.
 *
 * <p>With a {@link GradCachedLoss} the step runs GradCache: every text is encoded without a graph in chunks, the
 * loss's gradient with respect to those vectors is taken once, and each chunk is encoded again with a graph and
 * back-propagated with its slice of that gradient. Both passes of a chunk draw the same random numbers (the engine
 * is reseeded per chunk), so dropout masks agree and the gradients equal the uncached loss's.
 */
public final class EmbeddingStep {
    private final WinnowModel model;
    private final HfTokenizer tokenizer;
    private final EmbeddingTemplate template;
    private final int maxLength;
    private final EmbeddingLoss loss;
    private final TruncationCounter truncation;

    public EmbeddingStep(WinnowModel model, HfTokenizer tokenizer, EmbeddingTemplate template, int maxLength, EmbeddingLoss loss,
            TruncationCounter truncation) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        this.maxLength = maxLength;
        this.loss = loss;
        this.truncation = truncation;
    }

    /** The micro-batch's loss; for a GradCache loss, with the backward pass that the training loop must call. */
    public TrainLoop.StepLoss loss(List<Group> groups, NDManager scope) {
        Layout layout = layout(groups);
        if (loss instanceof GradCachedLoss cached) {
            return cached(layout, scope, cached.miniBatchSize());
        }
        NDArray q = forward(layout.queries, scope, true);
        NDArray d = forward(layout.documents, scope, true);
        return new TrainLoop.StepLoss(loss.compute(layout.batch(q, d, scope)), groups.size(), layout.tokens);
    }

    private TrainLoop.StepLoss cached(Layout layout, NDManager scope, int chunk) {
        // one draw from the step's random stream seeds every chunk, in both passes
        long base = scope.randomInteger(0, Integer.MAX_VALUE, new Shape(1), DataType.INT64).getLong();
        boolean grad = JniUtils.isGradMode();
        NDArray q;
        NDArray d;
        JniUtils.setGradMode(false);
        try {
            q = java.util.Objects.requireNonNull(chunked(layout.queries, scope, chunk, base, 0, null));
            d = java.util.Objects.requireNonNull(chunked(layout.documents, scope, chunk, base, 1, null));
        } finally {
            JniUtils.setGradMode(grad);
        }
        q.setRequiresGradient(true);
        d.setRequiresGradient(true);
        NDArray value = loss.compute(layout.batch(q, d, scope));
        TrainLoop.Backward backward = (collector, scale) -> {
            collector.backward(value.mul(scale));
            NDArray gq = q.getGradient().duplicate();
            NDArray gd = d.getGradient().duplicate();
            chunked(layout.queries, scope, chunk, base, 0, (piece, from) -> replay(collector, piece, q, gq, from));
            chunked(layout.documents, scope, chunk, base, 1, (piece, from) -> replay(collector, piece, d, gd, from));
        };
        return new TrainLoop.StepLoss(value, layout.size, layout.tokens, backward);
    }

    /**
     * Back-propagates one chunk of the graph pass with its slice of the cached gradient, after checking that the
     * chunk encodes as it did in the first pass (the same dropout masks): otherwise the cached gradient belongs to
     * other vectors and the update would be wrong.
     */
    private static void replay(ai.djl.training.GradientCollector collector, NDArray piece, NDArray first, NDArray gradient, long from) {
        NDIndex rows = new NDIndex("{}:{}", from, from + piece.getShape().get(0));
        float drift;
        try (NDArray diff = piece.stopGradient().sub(first.get(rows).stopGradient()).abs().max()) {
            drift = diff.getFloat();
        }
        if (drift > 1e-3f) {
            throw new IllegalStateException("GradCache: a chunk encoded differently in its second pass (max difference "
                    + drift + "); the model's forward is not reproducible under a fixed seed");
        }
        collector.backward(piece.mul(gradient.get(rows)).sum());
    }

    /** Chunk sink of the graph pass. */
    @FunctionalInterface
    private interface Sink {
        void accept(NDArray vectors, long from);
    }

    /**
     * Encodes {@code texts} in chunks, reseeding the engine per chunk; without a sink returns the vectors
     * concatenated, with one hands each chunk's (graph-carrying) vectors to it and returns null.
     */
    private @Nullable NDArray chunked(List<Encoded> texts, NDManager scope, int chunk, long base, int side, @Nullable Sink sink) {
        List<NDArray> parts = new ArrayList<>();
        for (int from = 0, k = 0; from < texts.size(); from += chunk, k++) {
            Engine.getInstance().setRandomSeed((int) ((base * 1_000_003L + side * 7_919L + k) & 0x7fffffff));
            try (NDManager local = scope.newSubManager()) {
                NDArray v = forward(texts.subList(from, Math.min(texts.size(), from + chunk)), local, true);
                if (sink == null) {
                    v.attach(scope); // no graph in this pass: the vectors outlive the chunk's manager
                    parts.add(v);
                } else {
                    sink.accept(v, from);
                }
            }
        }
        return sink == null ? (parts.size() == 1 ? parts.get(0) : NDArrays.concat(new ai.djl.ndarray.NDList(parts))) : null;
    }

    private NDArray forward(List<Encoded> texts, NDManager scope, boolean training) {
        return model.forward(Batches.pad(texts, tokenizer.padId(), tokenizer.padLeft(), scope), training);
    }

    private Layout layout(List<Group> groups) {
        int width = groups.stream().mapToInt(Group::size).max().orElse(1);
        List<Encoded> queries = new ArrayList<>(groups.size());
        List<Encoded> documents = new ArrayList<>();
        long[] gather = new long[groups.size() * width];
        float[] mask = new float[groups.size() * width];
        float[] labels = new float[groups.size()];
        long tokens = 0;
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            Encoded q = template.query(group.source().query(), group.source().instruction(), tokenizer, maxLength);
            truncation.record(q.truncated());
            tokens += q.ids().length;
            queries.add(q);
            labels[g] = (float) group.candidates().get(0).label();
            for (int c = 0; c < group.size(); c++) {
                Candidate cand = group.candidates().get(c);
                Encoded e = template.document(cand.text(), tokenizer, maxLength);
                truncation.record(e.truncated());
                tokens += e.ids().length;
                gather[g * width + c] = documents.size();
                mask[g * width + c] = 1f;
                documents.add(e);
            }
        }
        return new Layout(queries, documents, gather, mask, labels, groups.size(), width, tokens, loss.labelledPairs());
    }

    /** Encoded texts of a micro-batch and where each document goes in the {@code [groups, width]} grid. */
    private record Layout(List<Encoded> queries, List<Encoded> documents, long[] gather, float[] mask, float[] labels,
            int size, int width, long tokens, boolean pairs) {
        EmbeddingBatch batch(NDArray q, NDArray d, NDManager scope) {
            long dim = d.getShape().get(1);
            NDArray grid = d.get(scope.create(gather)).reshape(size, width, dim);
            return new EmbeddingBatch(q, grid, scope.create(mask, new Shape(size, width)),
                    pairs ? scope.create(labels) : null);
        }
    }
}
