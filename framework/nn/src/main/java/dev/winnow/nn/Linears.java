package dev.winnow.nn;

import dev.winnow.api.Scalars;
import ai.djl.ndarray.NDArray;
import dev.winnow.nn.kernels.Kernels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A model's linear layers by Hugging Face module name ({@code model.layers.0.self_attn.q_proj}), applied through
 * one method so that LoRA adapters attach to any of them without the model knowing:
 * {@code y = x W^T + b + scale * dropout(x) A^T B^T}. Every product goes through the model's {@link Kernels}
 * (so it runs in their precision).
 */
public final class Linears {
    /** A LoRA adapter: {@code a [rank, in]}, {@code b [out, rank]}. */
    public record Adapter(NDArray a, NDArray b, double scale, double dropout) {}

    private final Map<String, NDArray> weights;
    private final Kernels kernels;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();

    /**
     * @param weights tensors by full name; a module {@code m} is {@code m.weight} (2-D) and optionally {@code m.bias}
     * @param kernels what computes the products
     */
    public Linears(Map<String, NDArray> weights, Kernels kernels) {
        this.weights = weights;
        this.kernels = kernels;
    }

    public NDArray apply(String module, NDArray x, boolean training) {
        NDArray y = kernels.linear(x, weight(module), weights.get(module + ".bias"));
        Adapter adapter = adapters.get(module);
        if (adapter != null) {
            NDArray h = Ops.dropout(x, adapter.dropout(), training);
            y = y.add(Ops.mul(kernels.linear(kernels.linear(h, adapter.a(), null), adapter.b(), null), (float) adapter.scale()));
        }
        return y;
    }

    public NDArray weight(String module) {
        NDArray w = weights.get(module + ".weight");
        if (w == null) {
            throw new IllegalStateException("no linear module " + module);
        }
        return w;
    }

    public @Nullable NDArray bias(String module) {
        return weights.get(module + ".bias");
    }

    /** Every linear module, in weight order. */
    public List<String> modules(List<String> linearNames) {
        List<String> out = new ArrayList<>();
        for (String n : linearNames) {
            if (weights.containsKey(n + ".weight")) {
                out.add(n);
            }
        }
        return out;
    }

    public void attach(String module, Adapter adapter) {
        weight(module);
        adapters.put(module, adapter);
    }

    public Map<String, Adapter> adapters() {
        return java.util.Collections.unmodifiableMap(adapters);
    }

    /** Folds every adapter into its weight ({@code W += scale * B A}) and removes the adapters. */
    public void merge() {
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            for (var e : adapters.entrySet()) {
                Adapter a = e.getValue();
                NDArray delta = a.b().matMul(a.a()).mul(Scalars.of((float) a.scale()));
                weight(e.getKey()).addi(delta);
                delta.close();
            }
            adapters.clear();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
    }
}
