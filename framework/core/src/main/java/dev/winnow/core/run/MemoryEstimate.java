package dev.winnow.core.run;

import dev.winnow.api.model.ModelArchitecture;
import dev.winnow.api.model.ModelShape;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.recipe.Recipe;
import dev.winnow.core.registry.ComponentRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The memory a run needs before anything is loaded: fp32 weights, gradients and AdamW moments of the trainable
 * parameters, and the activations of one micro-batch (per layer about {@code tokens * (34 h + 5 heads * length)}
 * values, the estimate of Korthikanti et al. for a transformer layer, in fp32, times a calibration factor for
 * what composed attention and autograd keep besides) with the optimizer's temporaries. Compared with the device's
 * memory so that a run that cannot fit fails at once, saying what would make it fit. With activation checkpointing
 * ({@code train.gradient_checkpointing}) a micro-batch keeps each segment's input ({@code tokens * h} values per
 * segment) and, during the backward pass, one segment's activations at a time. The sizes come from the
 * architecture ({@link ModelArchitecture#shape}); nothing here knows a model family.
 */
public record MemoryEstimate(long parameters, long trainable, long weights, long gradients, long optimizer, long activations,
        long sequences, long length, long available, String device, boolean checkpointing) {

    static final long ACTIVATION_FACTOR = 2;

    public long total() {
        return weights + gradients + optimizer + activations;
    }

    /** Within 90% of the device's memory. */
    public boolean fits() {
        return total() <= available * 0.9;
    }

    /**
     * The estimate for a recipe's model, from its local {@code config.json} or, for a Hub id not yet downloaded, from
     * the configs that architectures know ({@link ModelArchitecture#knownConfigs()}); empty when neither tells, or the
     * architecture cannot give its shape.
     */
    public static Optional<MemoryEstimate> forRecipe(Recipe recipe, ComponentRegistry registry, long available, String device) {
        Map<String, Object> config = null;
        Path local = Path.of(recipe.model().source());
        List<ModelArchitecture> architectures = ModelLoader.architectures(registry);
        if (Files.isRegularFile(local.resolve("config.json"))) {
            config = ModelDirectory.of(local).config();
        } else {
            for (ModelArchitecture a : architectures) {
                if (a.knownConfigs().containsKey(recipe.model().source())) {
                    config = a.knownConfigs().get(recipe.model().source());
                }
            }
        }
        if (config == null) {
            return Optional.empty();
        }
        Object type = config.get("model_type");
        String id = recipe.model().type();
        Optional<ModelArchitecture> architecture = id.equals("auto")
                ? architectures.stream().filter(a -> a.modelTypes().contains(String.valueOf(type))).findFirst()
                : registry.find(dev.winnow.api.ComponentKind.MODEL, id).map(ModelLoader::instance);
        Map<String, Object> json = config;
        return architecture.flatMap(a -> a.shape(json)).map(shape -> of(shape, recipe, available, device));
    }

    public static MemoryEstimate of(ModelShape shape, Recipe recipe, long available, String device) {
        long params = shape.parameters();
        long trainable = params;
        boolean lora = recipe.train().type() == Recipe.TrainType.LORA;
        if (lora) {
            long rank = recipe.train().loraRank() == null ? 8 : recipe.train().loraRank();
            trainable = rank * shape.loraParametersPerRank();
        }
        long layers = shape.layers();
        long h = shape.hiddenSize();
        long heads = shape.attentionHeads();
        long length = recipe.model().maxLength();
        long sequences = sequencesInGraph(recipe);
        // Korthikanti's per-layer count in fp32, times 2 for what composed attention and autograd keep besides; plus
        // the optimizer's peak: an AdamW update holds about five temporaries the size of the largest trainable
        // tensor (the embedding, in full fine-tuning). Calibrated on the Qwen3-0.6B-shaped benchmark: 4 layers at
        // 4 x 256 tokens peaked at 7.6 GB resident; 28 layers did not fit in 24 GB.
        long perLayer = ACTIVATION_FACTOR * 4L * sequences * length * (34 * h + 5 * heads * length);
        boolean checkpointing = recipe.train().gradientCheckpointing();
        long activations = checkpointing ? checkpointed(layers, recipe.train().gradientCheckpointingEvery(), perLayer,
                4L * sequences * length * h) : layers * perLayer;
        activations += 5 * 4 * (lora ? 0 : shape.largestTensor());
        return new MemoryEstimate(params, trainable, 4 * params, 4 * trainable, 8 * trainable, activations, sequences, length,
                available, device, checkpointing);
    }

    /**
     * Activation bytes with checkpointing in segments of {@code every} layers: every segment's input, plus one segment's
     * full activations while it is recomputed.
     */
    static long checkpointed(long layers, long every, long perLayer, long segmentInput) {
        long segments = (layers + every - 1) / every;
        return segments * segmentInput + Math.min(every, layers) * perLayer;
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
            if (!checkpointing) {
                fixes.add("train.gradient_checkpointing: true (keeps one segment's activations instead of every layer's, "
                        + "for about one extra forward pass of time)");
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
     * Sequences whose activations one micro-batch keeps for backward: a reranker's groups (for an in-batch-negatives
     * loss, each anchor's row: its group plus the documents drawn from the others); an embedding model's queries and
     * documents; with gradient caching, one chunk of {@code mini_batch_size}.
     */
    static long sequencesInGraph(Recipe recipe) {
        long groups = recipe.train().batchSize();
        long size = Math.max(1, recipe.data().groupSize());
        Class<?> loss = recipe.loss().registration().produces();
        long sequences;
        if (recipe.task() != dev.winnow.api.model.Task.EMBEDDING) {
            long drawn = 0;
            if (dev.winnow.api.loss.InBatchNegativesLoss.class.isAssignableFrom(loss)) {
                long pool = (groups - 1) * size;
                Long k = lossOption(recipe, "numNegatives");
                drawn = k == null || k <= 0 ? pool : Math.min(k, pool);
            }
            sequences = groups * (size + drawn);
        } else {
            sequences = groups * (size + 1);
        }
        if (dev.winnow.api.loss.GradCachedLoss.class.isAssignableFrom(loss)
                || dev.winnow.api.loss.GradCachedRankingLoss.class.isAssignableFrom(loss)) {
            Long chunk = lossOption(recipe, "miniBatchSize");
            if (chunk != null) {
                sequences = Math.min(sequences, chunk);
            }
        }
        return sequences;
    }

    /** A numeric recipe key of the loss's config record, by component name, or null. */
    private static @org.jspecify.annotations.Nullable Long lossOption(Recipe recipe, String component) {
        for (var c : recipe.loss().config().getClass().getRecordComponents()) {
            if (c.getName().equals(component)) {
                try {
                    return ((Number) c.getAccessor().invoke(recipe.loss().config())).longValue();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return null;
    }
}
