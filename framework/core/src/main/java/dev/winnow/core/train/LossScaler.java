package dev.winnow.core.train;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.model.Parameter;
import java.util.List;

/**
 * Dynamic loss scaling for fp16 training, with the rules and defaults of PyTorch's {@code GradScaler}: the loss
 * is multiplied by the scale before backward, so that small gradients survive float16; the gradients are divided
 * by it again before clipping and the update. A step whose gradients are not finite is skipped and the scale
 * halved; after {@code growthInterval} finite steps in a row the scale doubles.
 */
public final class LossScaler {
    /**
     * @param initialScale the first scale (GradScaler: 2^16)
     * @param growthFactor the multiplier after {@code growthInterval} finite steps (2)
     * @param backoffFactor the multiplier after a non-finite step (0.5)
     * @param growthInterval finite steps in a row before the scale grows (2000)
     */
    public record Options(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
        public Options {
            if (!(initialScale > 0) || !(growthFactor > 1) || !(backoffFactor > 0 && backoffFactor < 1) || growthInterval < 1) {
                throw new IllegalArgumentException("loss scaling needs scale > 0, growth > 1, 0 < backoff < 1, interval >= 1");
            }
        }

        /** GradScaler's defaults. */
        public static Options defaults() {
            return new Options(65536.0, 2.0, 0.5, 2000);
        }
    }

    private final Options options;
    private double scale;
    private int goodSteps;

    public LossScaler(Options options) {
        this.options = options;
        this.scale = options.initialScale();
    }

    /** The factor the loss is multiplied by before backward. */
    public double scale() {
        return scale;
    }

    /** Finite steps since the scale last changed. */
    public int goodSteps() {
        return goodSteps;
    }

    /** Continues from a checkpoint's state. */
    public void restore(double savedScale, int savedGoodSteps) {
        this.scale = savedScale;
        this.goodSteps = savedGoodSteps;
    }

    /** Divides every gradient by the scale, in place, without recording autograd. */
    public void unscale(List<Parameter> parameters) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            float inverse = (float) (1.0 / scale);
            for (Parameter p : parameters) {
                NDArray g = p.array().getGradient();
                g.muli(Scalars.of(inverse));
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Records one optimizer step's outcome and adjusts the scale.
     *
     * @param finite whether every unscaled gradient was finite
     * @return whether the optimizer should apply this step's update
     */
    public boolean update(boolean finite) {
        if (!finite) {
            scale *= options.backoffFactor();
            goodSteps = 0;
            return false;
        }
        if (++goodSteps == options.growthInterval()) {
            scale *= options.growthFactor();
            goodSteps = 0;
        }
        return true;
    }
}
