package dev.winnow.qwen3;

import dev.winnow.api.UserException;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * YaRN rope scaling ({@code rope_scaling: {rope_type: yarn, ...}}), as transformers' {@code _compute_yarn_parameters}
 * computes it: the rotary dimensions that turn fewer than {@code beta_slow} times over the original context are
 * interpolated (frequency divided by {@code factor}), those that turn more than {@code beta_fast} times are kept, and a
 * linear ramp blends the ones in between; cos and sin are multiplied by {@code attentionFactor}.
 *
 * <p>Keys, with transformers' defaults: {@code factor} (required unless {@code original_max_position_embeddings} is
 * given, then {@code max_position_embeddings / original_max_position_embeddings}), {@code original_max_position_embeddings}
 * (default {@code max_position_embeddings}), {@code beta_fast} 32, {@code beta_slow} 1, {@code attention_factor}
 * (default {@code mscale(factor, mscale) / mscale(factor, mscale_all_dim)} when both are set and non-zero, else
 * {@code 0.1 ln(factor) + 1}), {@code truncate} true (round the ramp's ends to whole dimensions). An explicit
 * {@code factor} is used as given, as transformers 5 does (4.x replaced it by the ratio of the two context lengths).
 *
 * @param factor the interpolation factor
 * @param originalMaxPositionEmbeddings the context the model was pre-trained on
 * @param betaFast rotations above which a dimension is not interpolated
 * @param betaSlow rotations below which a dimension is fully interpolated
 * @param attentionFactor multiplies cos and sin
 * @param truncate round the ramp's ends (floor/ceil) to whole dimensions
 */
public record Yarn(double factor, double originalMaxPositionEmbeddings, double betaFast, double betaSlow, double attentionFactor,
        boolean truncate) {

    /** Reads the yarn keys of a {@code rope_scaling} mapping; mistakes name {@code file} and the key. */
    static Yarn parse(Map<?, ?> s, int maxPositionEmbeddings, Path file) {
        Double original = number(s, "original_max_position_embeddings", file);
        Double factor = number(s, "factor", file);
        if (factor == null) {
            if (original == null) {
                throw new UserException(file + ": rope_scaling type 'yarn' needs 'factor' (or 'original_max_position_embeddings', "
                        + "from which factor = max_position_embeddings / original_max_position_embeddings)");
            }
            factor = maxPositionEmbeddings / original;
        }
        if (!(factor >= 1)) {
            throw new UserException(file + ": rope_scaling.factor must be a number >= 1 for yarn, found " + factor);
        }
        double orig = original != null ? original : maxPositionEmbeddings;
        if (!(orig > 0)) {
            throw new UserException(file + ": rope_scaling.original_max_position_embeddings must be positive, found " + orig);
        }
        // transformers reads these with `or`: absent, null or 0 take the default
        Double fast = number(s, "beta_fast", file);
        Double slow = number(s, "beta_slow", file);
        double betaFast = fast == null || fast == 0 ? 32 : fast;
        double betaSlow = slow == null || slow == 0 ? 1 : slow;
        if (!(betaFast > 0 && betaSlow > 0)) {
            throw new UserException(file + ": rope_scaling.beta_fast and beta_slow must be positive, found " + betaFast + " and " + betaSlow);
        }
        Double attention = number(s, "attention_factor", file);
        Double mscale = number(s, "mscale", file);
        Double mscaleAllDim = number(s, "mscale_all_dim", file);
        double attentionFactor;
        if (attention != null) {
            attentionFactor = attention;
        } else if (mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0) {
            attentionFactor = mscale(factor, mscale) / mscale(factor, mscaleAllDim);
        } else {
            attentionFactor = mscale(factor, 1);
        }
        Object truncate = s.get("truncate");
        if (truncate != null && !(truncate instanceof Boolean)) {
            throw new UserException(file + ": rope_scaling.truncate must be true or false, found " + truncate);
        }
        return new Yarn(factor, orig, betaFast, betaSlow, attentionFactor, !Boolean.FALSE.equals(truncate));
    }

    static double mscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** The {@code dim / 2} inverse frequencies for rotary dimension {@code dim} and base {@code theta}. */
    public double[] inverseFrequencies(double theta, int dim) {
        double low = correctionDim(betaFast, dim, theta);
        double high = correctionDim(betaSlow, dim, theta);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // as transformers: no division by zero
        }
        double[] out = new double[dim / 2];
        for (int i = 0; i < out.length; i++) {
            double extrapolation = 1 / Math.pow(theta, 2.0 * i / dim);
            double interpolation = extrapolation / factor;
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double keep = 1 - ramp; // weight of the unscaled (extrapolated) frequency
            out[i] = interpolation * (1 - keep) + extrapolation * keep;
        }
        return out;
    }

    /** The dimension whose frequency makes {@code rotations} turns over the original context. */
    private double correctionDim(double rotations, int dim, double theta) {
        return dim * Math.log(originalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    private static @Nullable Double number(Map<?, ?> s, String key, Path file) {
        Object v = s.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new UserException(file + ": rope_scaling." + key + " must be a number, found " + v);
    }
}
