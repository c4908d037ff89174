package dev.winnow.core.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.loss.GradCachedLoss;
import dev.winnow.api.text.EmbeddingTemplate;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.data.Group;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import java.util.ArrayList;
import java.util.List;

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
    private final TextModel model;
    private final HfTokenizer tokenizer;
    private final EmbeddingTemplate template;
    private final int maxLength;
    private final EmbeddingLoss loss;
    private final TruncationCounter truncation;

    public EmbeddingStep(TextModel model, EmbeddingTemplate template, EmbeddingLoss loss, TruncationCounter truncation) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = template;
        this.maxLength = model.maxLength();
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
        GradCache cache = new GradCache(scope, chunk);
        GradCache.Forward encode = (texts, local) -> forward(texts, local, true);
        NDArray q = cache.firstPass(layout.queries, 0, encode);
        NDArray d = cache.firstPass(layout.documents, 1, encode);
        NDArray value = loss.compute(layout.batch(q, d, scope));
        TrainLoop.Backward backward = (collector, scale) -> {
            dev.winnow.nn.Checkpointing.backward(collector, dev.winnow.nn.Ops.mul(value, scale));
            NDArray gq = q.getGradient().duplicate();
            NDArray gd = d.getGradient().duplicate();
            cache.replay(collector, layout.queries, 0, q, gq, encode);
            cache.replay(collector, layout.documents, 1, d, gd, encode);
        };
        return new TrainLoop.StepLoss(value, layout.size, layout.tokens, backward);
    }

    private NDArray forward(List<Encoded> texts, NDManager scope, boolean training) {
        return model.forward(texts, scope, training);
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
