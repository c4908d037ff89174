package dev.winnow.rankinglosses;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;
import dev.winnow.api.loss.InBatchNegativesLoss;

/**
 * Multiple negatives ranking for cross-encoders as sentence-transformers' cross-encoder
 * {@code MultipleNegativesRankingLoss}: the runner builds each row from a query's positive, {@code num_negatives}
 * documents drawn from the other queries of the micro-batch and the query's own hard negatives (see
 * {@link InBatchNegativesLoss}); the loss is the softmax cross-entropy of {@code scale * activation(score)} over the
 * row's real entries with the positive (entry 0) as the target, averaged over rows. Padded entries are left out of the
 * softmax.
 */
public record Mnrl(int numNegatives, double scale, Activation activation) implements InBatchNegativesLoss {
    /** The activation applied to the raw scores before scaling (sentence-transformers' {@code activation_fn}). */
    public enum Activation {
        /** {@code nn.Sigmoid()}, the default. */
        SIGMOID,
        /** {@code nn.Identity()}. */
        IDENTITY,
        /** {@code nn.Tanh()} (the mGTE authors' choice, with scale 10). */
        TANH;

        NDArray apply(NDArray x) {
            return switch (this) {
                case SIGMOID -> ai.djl.nn.Activation.sigmoid(x);
                case IDENTITY -> x;
                case TANH -> x.tanh();
            };
        }
    }

    /** Recipe keys of {@code loss: {type: mnrl}}. */
    @Doc("cross-entropy of each query's positive against in-batch and hard negatives; sentence-transformers cross-encoder "
            + "MultipleNegativesRankingLoss")
    public record Config(
            @Doc("documents drawn per query from the other queries' candidates in the micro-batch; 0 = all of them")
                    @Default("4") @Range(min = 0) int numNegatives,
            @Doc("activated scores are multiplied by this before the softmax") @Default("10.0") @Range(min = 0, minExclusive = true)
                    double scale,
            @Doc("applied to the raw scores first: sigmoid, identity or tanh") @Default("sigmoid") Activation activation) {}

    static Mnrl of(Config c) {
        return new Mnrl(c.numNegatives(), c.scale(), c.activation());
    }

    private static final float MASKED = -1e9f;

    @Override
    public NDArray compute(NDArray scores, NDArray labels, NDArray mask) {
        return positiveFirstCrossEntropy(activation.apply(scores).mul(Scalars.of((float) scale)), mask);
    }

    /** {@code -log softmax(z)[0]} over each row's real entries, averaged over rows whose entry 0 is real. */
    static NDArray positiveFirstCrossEntropy(NDArray z, NDArray mask) {
        NDArray realB = mask.gt(0f);
        NDArray real = realB.toType(z.getDataType(), false);
        NDArray logp = z.mul(real).add(realB.logicalNot().toType(z.getDataType(), false).mul(Scalars.of(MASKED))).logSoftmax(1);
        NDArray first = real.get(new NDIndex(":, 0"));
        return logp.get(new NDIndex(":, 0")).mul(first).sum().neg().div(first.sum().maximum(Scalars.of(1f)));
    }
}
