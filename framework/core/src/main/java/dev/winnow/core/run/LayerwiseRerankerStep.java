package dev.winnow.core.run;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.DistillationLoss;
import dev.winnow.api.loss.GradCachedRankingLoss;
import dev.winnow.api.loss.InBatchNegativesLoss;
import dev.winnow.api.loss.RankingBatch;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.LayerwiseModel;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.data.Group;
import dev.winnow.core.infer.TextModel;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import dev.winnow.nn.Ops;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The training step of a layerwise reranker ({@link LayerwiseModel}, FlagEmbedding's
 * {@code finetune/reranker/decoder_only/layerwise}): each group is a row (positive first, then its negatives), every
 * pair is scored by every head in one forward pass ({@code [layers, pairs]}), and the loss is
 *
 * <pre>
 *   sum over layers l of loss(scores_l)
 *   + sum over layers l below the last of  -mean_g sum_j softmax(scores_last)_gj * log_softmax(scores_l)_gj
 * </pre>
 *
 * the recipe's ranking loss (FlagEmbedding: group cross-entropy with the positive first, {@code listwise_ce}) on
 * every head, and the last layer's group softmax, detached, distilled into each earlier head. Padded entries of a
 * short group take no part in either term. When the recipe's loss is a {@link DistillationLoss} (it learns from the
 * data's teacher scores, as FlagEmbedding does when rows carry them) that loss on every layer is the whole loss, with
 * no self-distillation, as FlagEmbedding's teacher-scores branch.
 */
public final class LayerwiseRerankerStep {
    private final TextModel model;
    private final LayerwiseModel layerwise;
    private final PromptTemplate template;
    private final RankingLoss loss;
    private final String lossId;
    private final TruncationCounter truncation;

    /** @param lossId the loss's recipe id, for messages */
    public LayerwiseRerankerStep(TextModel model, PromptTemplate template, RankingLoss loss, String lossId,
            TruncationCounter truncation) {
        if (!(model.model() instanceof LayerwiseModel l)) {
            throw new IllegalArgumentException(model.model().architecture() + " is not a layerwise model");
        }
        if (loss instanceof InBatchNegativesLoss || loss instanceof GradCachedRankingLoss) {
            throw new UserException("loss " + lossId + " is not available for a layerwise reranker (" + l.architecture()
                    + "): it trains on groups as the data forms them (positive first), with every layer's head in one pass; "
                    + "use listwise_ce as FlagEmbedding does");
        }
        this.model = model;
        this.layerwise = l;
        this.template = template;
        this.loss = loss;
        this.lossId = lossId;
        this.truncation = truncation;
    }

    /** The micro-batch's loss over every head's layer. */
    public TrainLoop.StepLoss loss(List<Group> groups, NDManager scope) {
        int rows = groups.size();
        int width = groups.stream().mapToInt(Group::size).max().orElse(1);
        List<Encoded> pairs = new ArrayList<>();
        long[] gather = new long[rows * width];
        float[] labels = new float[rows * width];
        float[] mask = new float[rows * width];
        float[] teacher = new float[rows * width];
        boolean distil = loss instanceof DistillationLoss;
        long tokens = 0;
        for (int g = 0; g < rows; g++) {
            Group group = groups.get(g);
            for (int c = 0; c < group.size(); c++) {
                var candidate = group.candidates().get(c);
                Encoded e = template.render(new TemplateInput(group.source().query(), candidate.text(), group.source().instruction()),
                        model.tokenizer(), model.maxLength());
                truncation.record(e.truncated());
                tokens += e.ids().length;
                int cell = g * width + c;
                gather[cell] = pairs.size();
                labels[cell] = (float) candidate.label();
                mask[cell] = 1f;
                if (distil) {
                    if (candidate.teacherScore() == null) {
                        throw new UserException(group.source().origin() + ": loss " + lossId + " learns from teacher scores, but "
                                + "this row's candidates have none (FlagEmbedding rows carry them as pos_scores / neg_scores; "
                                + "runner annotate adds them)");
                    }
                    teacher[cell] = candidate.teacherScore().floatValue();
                }
                pairs.add(e);
            }
        }
        if (pairs.isEmpty()) {
            throw new IllegalStateException("a micro-batch without pairs"); // the grouper never forms one
        }
        Shape shape = new Shape(rows, width);
        NDArray labelArray = scope.create(labels, shape);
        NDArray maskArray = scope.create(mask, shape);
        NDArray teacherArray = distil ? scope.create(teacher, shape) : null;
        List<Integer> layers = layerwise.scoreLayers();
        NDArray all = layerwise.forwardLayers(model.pad(pairs, scope), layers, true); // [layers, pairs]
        NDArray index = scope.create(gather);
        List<NDArray> grids = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            grids.add(all.get(l).get(index).reshape(shape));
        }
        NDArray total = loss(loss, grids, labelArray, maskArray, teacherArray);
        return new TrainLoop.StepLoss(total, pairs.size(), tokens);
    }

    /**
     * The layerwise loss of per-layer score grids {@code [groups, width]} (lowest layer first): {@code loss} on each,
     * plus, unless it is a {@link DistillationLoss}, the last grid's detached group softmax distilled into each earlier
     * grid.
     */
    public static NDArray loss(RankingLoss loss, List<NDArray> grids, NDArray labels, NDArray mask, @Nullable NDArray teacher) {
        NDArray total = null;
        for (NDArray grid : grids) {
            NDArray term = loss.compute(new RankingBatch(grid, labels, mask, teacher));
            total = total == null ? term : total.add(term);
        }
        if (!(loss instanceof DistillationLoss)) {
            NDArray teacherProbs = maskedLogSoftmax(grids.get(grids.size() - 1).stopGradient(), mask).exp().mul(mask);
            for (int l = 0; l < grids.size() - 1; l++) {
                NDArray student = maskedLogSoftmax(grids.get(l), mask);
                total = total.add(student.mul(teacherProbs).sum(new int[] {1}).mean().neg());
            }
        }
        return total;
    }

    /** Log-softmax over each group's real entries; padded entries come out as 0 (they are multiplied by a 0 weight). */
    static NDArray maskedLogSoftmax(NDArray scores, NDArray mask) {
        NDArray masked = scores.add(mask.sub(1f).neg().mul(Scalars.of(Ops.MASKED))); // scores + (1 - mask) * -1e9
        return masked.logSoftmax(1).mul(mask);
    }
}
