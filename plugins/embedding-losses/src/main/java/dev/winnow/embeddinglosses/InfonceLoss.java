package dev.winnow.embeddinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * InfoNCE as ms-swift's {@code infonce} computes it: cross-entropy over cosine similarities divided by a
 * temperature, the row's positive (document 0) as the target, averaged over rows.
 *
 * <p>With {@code use_batch} the candidates of row g are every real document of the batch (its own positive and
 * negatives, and every other row's); {@code include_qq} adds the other queries, {@code include_dd} adds the
 * similarities of g's positive to every other document. {@code mask_fake_negative} removes query-document and
 * query-query candidates scoring above {@code cos(q_g, positive_g) + margin}. Without {@code use_batch} only the
 * row's own documents compete (a row without negatives then contributes exactly 0); {@code include_qq} and
 * {@code include_dd} need {@code use_batch}. Padded documents (mask 0) never enter any denominator.
 */
public final class InfonceLoss implements EmbeddingLoss {
    private static final Logger LOG = LoggerFactory.getLogger(InfonceLoss.class);

    private final InfonceConfig config;
    private final Random random;
    private boolean reported;

    /**
     * @param seed seeds the sampling that pads rows to {@code hard_negatives} (the run's seed)
     */
    public InfonceLoss(InfonceConfig config, long seed) {
        if (!config.useBatch() && (config.includeQq() || config.includeDd())) {
            throw new UserException("loss infonce: include_qq and include_dd add in-batch terms and need use_batch:"
                    + " true (got use_batch: false)");
        }
        this.config = config;
        // Scrambled: java.util.Random's first draws from nearby seeds (1, 2, 3...) are nearly identical.
        this.random = new Random(new SplittableRandom(seed).nextLong());
    }

    public InfonceConfig config() {
        return config;
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        NDManager manager = batch.queries().getManager();
        float[] mask = Embeddings.mask(batch);
        int rows = (int) batch.documents().getShape().get(0);
        int docs = (int) batch.documents().getShape().get(1);
        long dim = batch.documents().getShape().get(2);
        for (int g = 0; g < rows; g++) {
            if (mask[g * docs] == 0) {
                throw new WinnowException("loss infonce: batch row " + g + " has no positive (document 0 is padding)");
            }
        }
        NDArray q = Embeddings.normalize(batch.queries());
        NDArray d = Embeddings.normalize(batch.documents());
        if (config.hardNegatives() != null) {
            int n = config.hardNegatives();
            int[] index = resample(mask, rows, docs, n);
            float[] newMask = new float[rows * (n + 1)];
            long[] flat = new long[index.length];
            for (int i = 0; i < index.length; i++) {
                newMask[i] = index[i] < 0 ? 0f : 1f;
                int g = i / (n + 1);
                flat[i] = (long) g * docs + Math.max(index[i], 0);
            }
            d = d.reshape(rows * (long) docs, dim).get(manager.create(flat)).reshape(rows, n + 1, dim);
            mask = newMask;
            docs = n + 1;
        }
        return config.useBatch() ? inBatch(q, d, mask, rows, docs) : perRow(q, d, mask, rows, docs);
    }

    /** Row g's own documents only: logits {@code [rows, docs]}, target column 0. */
    private NDArray perRow(NDArray q, NDArray d, float[] mask, int rows, int docs) {
        NDManager manager = q.getManager();
        NDArray cos = d.matMul(q.expandDims(2)).reshape(rows, docs);
        float[] additive = new float[rows * docs];
        for (int i = 0; i < additive.length; i++) {
            additive[i] = mask[i] == 0 ? Embeddings.MASKED : 0f;
        }
        NDArray logits = cos.div(cos.getManager().full(new Shape(), (float) config.temperature())).add(manager.create(additive, new Shape(rows, docs)));
        if (config.maskFakeNegative()) {
            NDArray threshold = cos.get(":, 0:1").add(config.fakeNegativeMargin());
            float[] notTarget = new float[rows * docs];
            for (int i = 0; i < notTarget.length; i++) {
                notTarget[i] = i % docs == 0 ? 0f : 1f;
            }
            logits = logits.add(fakeMask(cos, threshold, manager.create(notTarget, new Shape(rows, docs))));
        }
        return logits.logSoftmax(1).get(":, 0").mean().neg();
    }

    /** Every real document of the batch competes; optional qq and dd blocks. Target of row g: column g*docs. */
    private NDArray inBatch(NDArray q, NDArray d, float[] mask, int rows, int docs) {
        NDManager manager = q.getManager();
        long dim = d.getShape().get(2);
        int columns = rows * docs;
        NDArray all = d.reshape(columns, dim);
        NDArray positives = d.get(":, 0, :");
        float[] target = new float[rows * columns];
        float[] padding = new float[rows * columns];
        for (int g = 0; g < rows; g++) {
            target[g * columns + g * docs] = 1f;
            for (int c = 0; c < columns; c++) {
                padding[g * columns + c] = mask[c] == 0 ? Embeddings.MASKED : 0f;
            }
        }
        Shape qdShape = new Shape(rows, columns);
        NDArray isTarget = manager.create(target, qdShape);
        NDArray paddingMask = manager.create(padding, qdShape);
        NDArray qd = q.matMul(all.transpose());
        NDArray threshold = q.mul(positives).sum(new int[] {1}, true).add(config.fakeNegativeMargin());

        List<NDArray> blocks = new ArrayList<>();
        NDArray qdLogits = qd.div(qd.getManager().full(new Shape(), (float) config.temperature())).add(paddingMask);
        if (config.maskFakeNegative()) {
            qdLogits = qdLogits.add(fakeMask(qd, threshold, isTarget.neg().add(1f)));
        }
        blocks.add(qdLogits);
        if (config.includeQq()) {
            NDArray qq = q.matMul(q.transpose());
            NDArray eye = manager.eye(rows);
            NDArray qqLogits = qq.div(qq.getManager().full(new Shape(), (float) config.temperature())).add(eye.mul(Scalars.of(Embeddings.MASKED)));
            if (config.maskFakeNegative()) {
                qqLogits = qqLogits.add(fakeMask(qq, threshold, eye.neg().add(1f)));
            }
            blocks.add(qqLogits);
        }
        if (config.includeDd()) {
            NDArray dd = positives.matMul(all.transpose());
            blocks.add(dd.div(dd.getManager().full(new Shape(), (float) config.temperature())).add(paddingMask).add(isTarget.mul(Scalars.of(Embeddings.MASKED))));
        }
        NDArray logits = blocks.size() == 1 ? blocks.get(0) : concat(blocks);
        NDArray targetFull = isTarget;
        if (blocks.size() > 1) {
            long extra = logits.getShape().get(1) - columns;
            targetFull = isTarget.concat(manager.zeros(new Shape(rows, extra)), 1);
        }
        return logits.logSoftmax(1).mul(targetFull).sum().div(logits.getManager().full(new Shape(), rows)).neg();
    }

    private static NDArray concat(List<NDArray> blocks) {
        NDArray out = blocks.get(0);
        for (int i = 1; i < blocks.size(); i++) {
            out = out.concat(blocks.get(i), 1);
        }
        return out;
    }

    /** {@link Embeddings#MASKED} where {@code scores > threshold} and {@code eligible} is 1, else 0 (no gradient). */
    private static NDArray fakeMask(NDArray scores, NDArray threshold, NDArray eligible) {
        NDArray above = scores.stopGradient().gt(threshold.stopGradient()).toType(DataType.FLOAT32, false);
        return above.mul(eligible).mul(Scalars.of(Embeddings.MASKED));
    }

    /**
     * Per row, {@code n + 1} source columns: 0 (the positive), then the first n real negatives, or all of them
     * plus draws with replacement from them; -1 marks a slot left as padding (a row without any negative).
     */
    private int[] resample(float[] mask, int rows, int docs, int n) {
        int[] out = new int[rows * (n + 1)];
        long truncated = 0;
        long padded = 0;
        int empty = 0;
        for (int g = 0; g < rows; g++) {
            List<Integer> negatives = new ArrayList<>();
            for (int j = 1; j < docs; j++) {
                if (mask[g * docs + j] != 0) {
                    negatives.add(j);
                }
            }
            int base = g * (n + 1);
            out[base] = 0;
            truncated += Math.max(0, negatives.size() - n);
            if (negatives.isEmpty() && n > 0) {
                empty++;
            }
            for (int s = 0; s < n; s++) {
                if (s < negatives.size()) {
                    out[base + 1 + s] = negatives.get(s);
                } else if (!negatives.isEmpty()) {
                    out[base + 1 + s] = negatives.get(random.nextInt(negatives.size()));
                    padded++;
                } else {
                    out[base + 1 + s] = -1;
                }
            }
        }
        if (truncated > 0 || empty > 0) {
            String message = "loss infonce hard_negatives={}: dropped {} negatives beyond the first {} per row,"
                    + " padded {} by sampling, {} rows had no negative to sample from (left with in-batch negatives only)";
            if (!reported) {
                LOG.warn(message + " (further batches at debug)", n, truncated, n, padded, empty);
                reported = true;
            } else {
                LOG.debug(message, n, truncated, n, padded, empty);
            }
        }
        return out;
    }
}
