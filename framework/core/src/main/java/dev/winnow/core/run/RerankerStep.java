package dev.winnow.core.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.GradCachedRankingLoss;
import dev.winnow.api.loss.InBatchNegativesLoss;
import dev.winnow.api.loss.RankingBatch;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.data.Group;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The training step of the reranker tasks: a micro-batch of groups becomes (query, document) pairs, every pair is
 * scored by the model, and the scores are laid out as a {@link RankingBatch} of {@code [groups, width]} with a mask,
 * the candidates' labels (graded values as the data gives them) and their teacher scores where the data has them.
 *
 * <p>Two layouts and two ways of computing, chosen by what the loss is:
 * <ul>
 *   <li>by default each row is one group as the data grouping made it (positive first, then negatives);</li>
 *   <li>for an {@link InBatchNegativesLoss} (cross-encoder MNRL) each row is a query's positive, then
 *       {@code num_negatives} documents drawn uniformly without replacement from the other groups' candidates in the
 *       micro-batch (never one of the query's own known positives), then the query's own hard negatives; labels are
 *       1 for the positive and 0 for the rest;</li>
 *   <li>a {@link GradCachedRankingLoss} is computed with gradient caching over the pairs ({@link GradCache}), in
 *       chunks of its {@code mini_batch_size}: the same loss and gradients with one chunk's activation memory.</li>
 * </ul>
 */
public final class RerankerStep {
    private final TextModel model;
    private final PromptTemplate template;
    private final RankingLoss loss;
    private final String lossId;
    private final TruncationCounter truncation;

    /** @param lossId the loss's recipe id, for messages */
    public RerankerStep(TextModel model, PromptTemplate template, RankingLoss loss, String lossId, TruncationCounter truncation) {
        this.model = model;
        this.template = template;
        this.loss = loss;
        this.lossId = lossId;
        this.truncation = truncation;
    }

    /** The micro-batch's loss; for a gradient-cached loss, with the backward pass that the training loop must call. */
    public TrainLoop.StepLoss loss(List<Group> groups, NDManager scope) {
        Layout layout = loss instanceof InBatchNegativesLoss inBatch ? inBatch(groups, inBatch.numNegatives(), scope) : grouped(groups);
        if (layout.pairs.isEmpty()) {
            throw new IllegalStateException("a micro-batch without pairs"); // the grouper never forms one
        }
        if (loss instanceof GradCachedRankingLoss cached) {
            GradCache cache = new GradCache(scope, cached.miniBatchSize());
            GradCache.Forward score = (pairs, local) -> model.forward(pairs, local, true);
            NDArray scores = cache.firstPass(layout.pairs, 0, score);
            NDArray value = loss.compute(layout.batch(scores, scope));
            TrainLoop.Backward backward = (collector, scale) -> {
                dev.winnow.nn.Checkpointing.backward(collector, dev.winnow.nn.Ops.mul(value, scale));
                NDArray gradient = scores.getGradient().duplicate();
                cache.replay(collector, layout.pairs, 0, scores, gradient, score);
            };
            return new TrainLoop.StepLoss(value, layout.pairs.size(), layout.tokens, backward);
        }
        NDArray scores = model.forward(layout.pairs, scope, true);
        return new TrainLoop.StepLoss(loss.compute(layout.batch(scores, scope)), layout.pairs.size(), layout.tokens);
    }

    /** Each group a row, as the grouping made it. */
    private Layout grouped(List<Group> groups) {
        int width = groups.stream().mapToInt(Group::size).max().orElse(1);
        Layout layout = new Layout(groups.size(), width);
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            for (int c = 0; c < group.size(); c++) {
                layout.add(g, c, group, group.candidates().get(c), group.candidates().get(c).label());
            }
        }
        return layout.withTeacherScores(loss instanceof DistillationLoss);
    }

    /** Each anchor query a row: its positive, sampled in-batch documents, its own hard negatives. */
    private Layout inBatch(List<Group> groups, int numNegatives, NDManager scope) {
        // one draw from the step's random stream: reproducible from the run's seed, different every step
        SplittableRandom random = new SplittableRandom(scope.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64).getLong());
        List<Group> anchors = groups.stream().filter(g -> g.candidates().get(0).positive()).toList();
        if (anchors.isEmpty()) {
            throw new UserException("loss " + lossId + " needs groups that start with a positive "
                    + "(data.group_size > 1 groups a positive with negatives); this micro-batch has none");
        }
        List<List<Candidate>> chosen = new ArrayList<>();
        int width = 1;
        for (Group anchor : anchors) {
            Set<String> own = new HashSet<>();
            anchor.source().positives().forEach(p -> own.add(p.text()));
            List<Candidate> pool = new ArrayList<>();
            for (Group other : groups) {
                if (other == anchor) {
                    continue;
                }
                for (Candidate c : other.candidates()) {
                    if (!own.contains(c.text())) {
                        pool.add(c);
                    }
                }
            }
            int k = numNegatives <= 0 ? pool.size() : Math.min(numNegatives, pool.size());
            for (int i = 0; i < k; i++) { // partial Fisher-Yates: k distinct draws
                int j = i + random.nextInt(pool.size() - i);
                Candidate t = pool.get(i);
                pool.set(i, pool.get(j));
                pool.set(j, t);
            }
            List<Candidate> row = new ArrayList<>();
            row.add(anchor.candidates().get(0));
            row.addAll(pool.subList(0, k));
            row.addAll(anchor.candidates().subList(1, anchor.size()));
            chosen.add(row);
            width = Math.max(width, row.size());
        }
        Layout layout = new Layout(anchors.size(), width);
        for (int a = 0; a < anchors.size(); a++) {
            List<Candidate> row = chosen.get(a);
            for (int c = 0; c < row.size(); c++) {
                layout.add(a, c, anchors.get(a), row.get(c), c == 0 ? 1.0 : 0.0);
            }
        }
        return layout;
    }

    /** Rendered pairs of a micro-batch and where each one's score goes in the {@code [rows, width]} grid. */
    private final class Layout {
        final List<Encoded> pairs = new ArrayList<>();
        final int rows;
        final int width;
        final long[] gather;
        final float[] labels;
        final float[] mask;
        final @Nullable Double[] teacher;
        final List<Group> rowGroups = new ArrayList<>();
        long tokens;
        private float @Nullable [] teacherScores;

        Layout(int rows, int width) {
            this.rows = rows;
            this.width = width;
            this.gather = new long[rows * width];
            this.labels = new float[rows * width];
            this.mask = new float[rows * width];
            this.teacher = new Double[rows * width];
        }

        void add(int row, int column, Group group, Candidate candidate, double label) {
            Encoded e = template.render(new TemplateInput(group.source().query(), candidate.text(), group.source().instruction()),
                    model.tokenizer(), model.maxLength());
            truncation.record(e.truncated());
            tokens += e.ids().length;
            int cell = row * width + column;
            gather[cell] = pairs.size();
            labels[cell] = (float) label;
            mask[cell] = 1f;
            teacher[cell] = candidate.teacherScore();
            pairs.add(e);
            while (rowGroups.size() <= row) {
                rowGroups.add(group);
            }
        }

        /**
         * Keeps the teacher scores when every real entry has one; a distillation loss requires them and names the
         * first row without.
         */
        Layout withTeacherScores(boolean required) {
            float[] out = new float[teacher.length];
            for (int i = 0; i < teacher.length; i++) {
                if (mask[i] == 0f) {
                    continue;
                }
                if (teacher[i] == null) {
                    if (required) {
                        Group g = rowGroups.get(i / width);
                        throw new UserException(g.source().origin() + ": loss " + lossId
                                + " learns from teacher scores, but this row's candidates have none (FlagEmbedding rows carry "
                                + "them as pos_scores / neg_scores; runner annotate adds them)");
                    }
                    return this;
                }
                out[i] = teacher[i].floatValue();
            }
            teacherScores = out;
            return this;
        }

        RankingBatch batch(NDArray scores, NDManager scope) {
            Shape shape = new Shape(rows, width);
            NDArray grid = scores.get(scope.create(gather)).reshape(shape);
            return new RankingBatch(grid, scope.create(labels, shape), scope.create(mask, shape),
                    teacherScores == null ? null : scope.create(teacherScores, shape));
        }
    }
}
