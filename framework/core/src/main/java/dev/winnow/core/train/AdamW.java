package dev.winnow.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.model.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW}: {@code p *= 1 - lr * wd} (decoupled decay), then
 * {@code p -= lr * m_hat / (sqrt(v_hat) + eps)} with bias-corrected moments. Two parameter groups: biases and
 * normalisation weights get no decay (each {@link Parameter#decay()}, as the architecture marks it). Moments
 * are float32 on the parameter's device and are saved and restored with checkpoints. Updates run with autograd off, in place.
 */
public final class AdamW {
    /** Hyper-parameters. */
    public record Options(double weightDecay, double beta1, double beta2, double eps) {}

    private final List<Parameter> params;
    private final Options options;
    private final NDManager stateManager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(List<Parameter> trainable, Options options, NDManager stateManager) {
        this.params = List.copyOf(trainable);
        this.options = options;
        this.stateManager = stateManager;
        for (Parameter p : params) {
            expAvg.put(p.name(), stateManager.zeros(p.array().getShape(), DataType.FLOAT32, p.array().getDevice()));
            expAvgSq.put(p.name(), stateManager.zeros(p.array().getShape(), DataType.FLOAT32, p.array().getDevice()));
        }
    }

    /** One update at learning rate {@code lr} from the accumulated gradients; parameters without one are skipped. */
    public void step(double lr) {
        step++;
        double b1 = options.beta1();
        double b2 = options.beta2();
        double bc1 = 1 - Math.pow(b1, step);
        double bc2 = 1 - Math.pow(b2, step);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Parameter p : params) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray g = p.array().getGradient();
                    NDArray m = expAvg.get(p.name());
                    NDArray v = expAvgSq.get(p.name());
                    m.muli((float) b1).addi(g.mul((float) (1 - b1)));
                    v.muli((float) b2).addi(g.square().mul((float) (1 - b2)));
                    if (options.weightDecay() > 0 && p.decay()) {
                        p.array().muli((float) (1 - lr * options.weightDecay()));
                    }
                    NDArray denom = v.div((float) bc2).sqrt().add((float) options.eps());
                    p.array().subi(m.div(denom).mul((float) (lr / bc1)));
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Sets every gradient to zero (they accumulate across backward passes until this is called). */
    public void zeroGrad() {
        for (Parameter p : params) {
            JniUtils.zeroGrad((PtNDArray) p.array());
        }
    }

    public long stepCount() {
        return step;
    }

    /** State for a checkpoint: {@code exp_avg.<name>} and {@code exp_avg_sq.<name>}. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> out.put("exp_avg." + k, v));
        expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
        return out;
    }

    /** Restores {@link #state()} and the step count. */
    public void load(Map<String, NDArray> state, long stepCount) {
        List<String> missing = new ArrayList<>();
        for (Parameter p : params) {
            NDArray m = state.get("exp_avg." + p.name());
            NDArray v = state.get("exp_avg_sq." + p.name());
            if (m == null || v == null) {
                missing.add(p.name());
                continue;
            }
            expAvg.get(p.name()).set(m.toFloatArray());
            expAvgSq.get(p.name()).set(v.toFloatArray());
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the optimizer state lacks moments for " + missing);
        }
        this.step = stepCount;
    }

    public NDManager stateManager() {
        return stateManager;
    }
}
