package dev.winnow.core.run;

import dev.winnow.core.recipe.Recipe;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The memory a run needs before anything is loaded: fp32 weights, gradients and AdamW moments of the trainable
 * parameters, and the activations of one micro-batch (per layer about {@code tokens * (34 h + 5 heads * length)}
 * values, the estimate of Korthikanti et al. for a transformer layer, in fp32, times a calibration factor for
 * what composed attention and autograd keep besides) with the optimizer's temporaries. Compared with the device's
 * memory so that a run that cannot fit fails at once, saying what would make it fit.
 */
public record MemoryEstimate(long parameters, long trainable, long weights, long gradients, long optimizer, long activations,
        long sequences, long length, long available, String device) {

    /** Hub ids whose configs are known without a download (for an estimate on a machine that has not fetched them). */
    static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "Qwen/Qwen3-Reranker-0.6B", qwen3(1024, 28, 3072, 16, 8, 128, true),
            "Qwen/Qwen3-Reranker-4B", qwen3(2560, 36, 9728, 32, 8, 128, true),
            "Qwen/Qwen3-Reranker-8B", qwen3(4096, 36, 12288, 32, 8, 128, false),
            "Qwen/Qwen3-Embedding-0.6B", qwen3(1024, 28, 3072, 16, 8, 128, true),
            "Qwen/Qwen3-Embedding-4B", qwen3(2560, 36, 9728, 32, 8, 128, true),
            "Qwen/Qwen3-Embedding-8B", qwen3(4096, 36, 12288, 32, 8, 128, false));

    private static Map<String, Object> qwen3(int h, int layers, int inter, int heads, int kv, int headDim, boolean tied) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "qwen3");
        c.put("hidden_size", h);
        c.put("num_hidden_layers", layers);
        c.put("intermediate_size", inter);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kv);
        c.put("head_dim", headDim);
        c.put("vocab_size", 151669);
        c.put("tie_word_embeddings", tied);
        return c;
    }

    public static Optional<Map<String, Object>> known(String source) {
        return Optional.ofNullable(KNOWN.get(source));
    }

    static final long ACTIVATION_FACTOR = 2;

    public long total() {
        return weights + gradients + optimizer + activations;
    }

    /** Within 90% of the device's memory. */
    public boolean fits() {
        return total() <= available * 0.9;
    }

    public static MemoryEstimate of(Map<String, Object> config, Recipe recipe, long available, String device) {
        long h = num(config, "hidden_size");
        long layers = num(config, "num_hidden_layers");
        long inter = num(config, "intermediate_size");
        long vocab = num(config, "vocab_size");
        long heads = num(config, "num_attention_heads");
        long kv = config.get("num_key_value_heads") instanceof Number n ? n.longValue() : heads;
        long headDim = config.get("head_dim") instanceof Number n ? n.longValue() : h / Math.max(1, heads);
        boolean gated = "qwen3".equals(config.get("model_type"));
        long q = heads * headDim;
        long k = kv * headDim;
        long attention = h * (q + 2 * k) + q * h;
        long mlp = (gated ? 3 : 2) * h * inter;
        long perLayer = attention + mlp + 4 * h;
        boolean tied = !Boolean.FALSE.equals(config.get("tie_word_embeddings")) || !gated;
        long params = vocab * h * (tied ? 1 : 2) + layers * perLayer + (gated ? 0 : 514L * h);
        long trainable = params;
        if (recipe.train().type() == Recipe.TrainType.LORA) {
            long rank = recipe.train().loraRank() == null ? 8 : recipe.train().loraRank();
            long linearInOut = (h + q) + 2 * (h + k) + (q + h) + (gated ? 3 : 2) * (h + inter);
            trainable = layers * rank * linearInOut;
        }
        long length = recipe.model().maxLength();
        long sequences = sequencesInGraph(recipe);
        // Korthikanti's per-layer count in fp32, times 2 for what composed attention and autograd keep besides; plus
        // the optimizer's peak: an AdamW update holds about five temporaries the size of the largest trainable
        // tensor (the embedding, in full fine-tuning). Calibrated on the Qwen3-0.6B-shaped benchmark: 4 layers at
        // 4 x 256 tokens peaked at 7.6 GB resident; 28 layers did not fit in 24 GB.
        long activations = ACTIVATION_FACTOR * 4L * layers * sequences * length * (34 * h + 5 * heads * length);
        long largestTrainable = recipe.train().type() == Recipe.TrainType.LORA ? 0 : vocab * h;
        activations += 5 * 4 * largestTrainable;
        return new MemoryEstimate(params, trainable, 4 * params, 4 * trainable, 8 * trainable, activations, sequences, length,
                available, device);
    }

    /** Physical memory of this machine (the CPU device's limit). */
    public static long physicalMemory() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** The estimate, and for a run that does not fit, the changes that would make it fit. */
    public String explain() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "estimated memory: %s (weights %s for %.2fB parameters, gradients %s and AdamW "
                + "state %s for %.2fB trainable, activations %s for %d sequences of up to %d tokens per micro-batch) against %s on %s",
                gb(total()), gb(weights), parameters / 1e9, gb(gradients), gb(optimizer), trainable / 1e9, gb(activations), sequences,
                length, gb(available), device));
        if (!fits()) {
            sb.append("; it will not fit. To fit: ");
            List<String> fixes = new java.util.ArrayList<>();
            if (trainable == parameters) {
                fixes.add("train.type: lora (trains ~1% of the parameters: gradients and AdamW state shrink to a few MB)");
            }
            fixes.add("a smaller train.batch_size or data.group_size with train.gradient_accumulation_steps to keep the effective batch");
            fixes.add("a shorter model.max_length (activations grow with length squared in attention)");
            fixes.add("a device with more memory (devices.devices: [gpu])");
            sb.append(String.join("; ", fixes));
        }
        return sb.toString();
    }

    static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    private static long num(Map<String, Object> c, String key) {
        return c.get(key) instanceof Number n ? n.longValue() : 0;
    }

    /**
     * Sequences whose activations one micro-batch keeps for backward: a reranker's groups; an embedding model's
     * queries and documents; with gradient caching, one chunk of {@code mini_batch_size}.
     */
    static long sequencesInGraph(Recipe recipe) {
        long groups = recipe.train().batchSize();
        long size = Math.max(1, recipe.data().groupSize());
        if (recipe.task() != dev.winnow.api.model.Task.EMBEDDING) {
            return groups * size;
        }
        long sequences = groups * (size + 1);
        if (dev.winnow.api.loss.GradCachedLoss.class.isAssignableFrom(recipe.loss().registration().produces())) {
            for (var c : recipe.loss().config().getClass().getRecordComponents()) {
                if (c.getName().equals("miniBatchSize")) {
                    try {
                        sequences = Math.min(sequences, ((Number) c.getAccessor().invoke(recipe.loss().config())).longValue());
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return sequences;
    }
}
