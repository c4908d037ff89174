package dev.winnow.embeddinglosses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.ComponentContext;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.api.loss.Loss;
import dev.winnow.api.config.ComponentRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code matryoshka}: {@code sum_d w_d * inner(E[..., :d])} over the configured leading dimensions. Every inner
 * loss normalises its inputs, so each truncated embedding is re-normalised, as in ms-swift and
 * sentence-transformers. Dimensions above the batch's embedding size are skipped (ms-swift's behaviour) with one
 * warning each; a batch that leaves none is an error.
 */
public final class MatryoshkaLoss implements EmbeddingLoss {
    static final String ID = "matryoshka";
    private static final Logger LOG = LoggerFactory.getLogger(MatryoshkaLoss.class);

    private final EmbeddingLoss inner;
    private final List<Integer> dims;
    private final List<Double> weights;
    private final Set<Integer> warned = Collections.synchronizedSet(new HashSet<>());

    /**
     * @param weights one per dimension
     */
    public MatryoshkaLoss(EmbeddingLoss inner, List<Integer> dims, List<Double> weights) {
        if (dims.isEmpty()) {
            throw new UserException("loss matryoshka: dims is empty; give at least one dimension, e.g. [64, 128]");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new UserException("loss matryoshka: dims " + dims + " holds " + d + "; every dimension must be >= 1");
            }
        }
        if (weights.size() != dims.size()) {
            throw new UserException("loss matryoshka: weights " + weights + " has " + weights.size()
                    + " entries but dims " + dims + " has " + dims.size() + "; give one weight per dimension or none");
        }
        this.inner = inner;
        this.dims = List.copyOf(dims);
        this.weights = List.copyOf(weights);
    }

    /**
     * Builds the loss a recipe describes: the inner loss through its own registered factory (any plugin's, as long
     * as it produces an {@link EmbeddingLoss}), with the same context.
     */
    public static MatryoshkaLoss create(MatryoshkaConfig config, ComponentContext context) {
        ComponentRef<Loss> spec = config.loss();
        if (!EmbeddingLoss.class.isAssignableFrom(spec.produces())) {
            throw new UserException(spec.location() + ": loss matryoshka wraps embedding losses, but loss '"
                    + spec.id() + "' is not one (it is " + spec.produces().getSimpleName() + ")");
        }
        EmbeddingLoss inner = (EmbeddingLoss) spec.create(context);
        List<Double> weights = config.weights() != null ? config.weights() : Collections.nCopies(config.dims().size(), 1.0);
        return new MatryoshkaLoss(inner, config.dims(), weights);
    }

    @Override
    public boolean labelledPairs() {
        return inner.labelledPairs();
    }

    public EmbeddingLoss inner() {
        return inner;
    }

    public List<Integer> dims() {
        return dims;
    }

    public List<Double> weights() {
        return weights;
    }

    @Override
    public NDArray compute(EmbeddingBatch batch) {
        long size = batch.queries().getShape().get(1);
        List<NDArray> terms = new ArrayList<>();
        for (int i = 0; i < dims.size(); i++) {
            int d = dims.get(i);
            if (d > size) {
                if (warned.add(d)) {
                    LOG.warn("loss matryoshka: dimension {} exceeds the embedding size {}; skipped", d, size);
                }
                continue;
            }
            EmbeddingBatch truncated = new EmbeddingBatch(batch.queries().get(":, :" + d),
                    batch.documents().get(":, :, :" + d), batch.documentMask(), batch.labels());
            NDArray term = inner.compute(truncated);
            terms.add(term.mul(term.getManager().full(new Shape(), weights.get(i).floatValue()))); // full(): libtorch-owned scalar; DJL's mul(Number) let backward read a freed one
        }
        if (terms.isEmpty()) {
            throw new UserException("loss matryoshka: every dimension of dims " + dims + " exceeds the embedding size "
                    + size + "; use dimensions up to " + size);
        }
        NDArray sum = terms.get(0);
        for (int i = 1; i < terms.size(); i++) {
            sum = sum.add(terms.get(i));
        }
        return sum;
    }
}
