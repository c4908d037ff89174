package dev.winnow.core.parallel;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.core.train.TrainLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Replicas of one model on several devices, trained as one: the data-parallel strategy in one process.
 *
 * <ul>
 *   <li>{@link #model()} is a {@link WinnowModel} whose forward splits a padded batch by rows into contiguous shards,
 *       one per replica (the first replicas take one row more when the rows do not divide evenly), runs each shard on
 *       its replica's device and gathers the outputs on the first device, in order. The training steps compute their
 *       loss on the gathered outputs, so a loss over the batch (in-batch negatives, InfoNCE over the global batch,
 *       GradCache's cached embeddings) sees every replica's rows, and back-propagation reaches every replica's
 *       parameters through the gather.</li>
 *   <li>{@link #reduceGradients()} adds every other replica's gradients into the first replica's and zeroes them: the
 *       loop then clips and updates the first replica alone, with the gradient of the global micro-batch.</li>
 *   <li>{@link #synchronize(long)} copies the first replica's trainable parameters into the others after every update
 *       (every parameter the first time, which also carries a resumed checkpoint or LoRA's initialisation), and every
 *       {@code checkEvery} steps compares a checksum of every parameter of every replica with the first one's: a
 *       difference stops the run.</li>
 * </ul>
 *
 * <p>Steps, the schedule, logging and checkpoints are the loop's global ones: a step is one optimizer update of the
 * global micro-batch, however many replicas computed it. Evaluation, checkpoints and the export use the first replica.
 * Replicas run one after another on the calling thread (GPU kernels are queued asynchronously, so devices overlap as
 * far as the shard's host work allows); on several CPU replicas the computation is the same as on one, with the cost of
 * splitting and summing.
 */
public final class DataParallel implements TrainLoop.Replication, AutoCloseable {
    /** A replica: its model, the parameters the run trains on it, and the manager that owns it. */
    public record Replica(WinnowModel model, ParameterSet trainable, NDManager manager) {}

    private final WinnowModel primary;
    private final ParameterSet primaryTrainable;
    private final Device primaryDevice;
    private final List<Replica> others;
    private final List<Device> devices;
    private final int checkEvery;
    private final Model model = new Model();
    private boolean copiedAll;
    private long checks;

    private DataParallel(WinnowModel primary, ParameterSet primaryTrainable, List<Device> devices, List<Replica> others, int checkEvery) {
        this.primary = primary;
        this.primaryTrainable = primaryTrainable;
        this.primaryDevice = devices.get(0);
        this.devices = devices;
        this.others = others;
        this.checkEvery = checkEvery;
    }

    /**
     * Builds the replicas of {@code primary} (already on {@code devices.get(0)}) on the other devices.
     *
     * @param factory builds a replica on a device: the same architecture and options, with the same adapters applied,
     *     in a manager of its own; its weights are overwritten from {@code primary} before the first step
     * @param checkEvery steps between checksums of the replicas
     */
    public static DataParallel create(WinnowModel primary, ParameterSet trainable, List<Device> devices, int checkEvery,
            Function<Device, Replica> factory) {
        if (devices.size() < 2) {
            throw new IllegalArgumentException("data parallel needs two devices or more, got " + devices);
        }
        List<Replica> others = new ArrayList<>();
        try {
            for (Device d : devices.subList(1, devices.size())) {
                Replica r = factory.apply(d);
                others.add(r);
                if (!names(all(r.model(), r.trainable())).equals(names(all(primary, trainable)))
                        || !names(r.trainable().trainable()).equals(names(trainable.trainable()))) {
                    throw new IllegalStateException("the replica on " + d + " has other parameters than the model on " + devices.get(0));
                }
                for (Parameter p : r.trainable().trainable()) {
                    p.array().setRequiresGradient(true);
                }
            }
        } catch (RuntimeException e) {
            others.forEach(r -> close(r));
            throw e;
        }
        return new DataParallel(primary, trainable, devices, List.copyOf(others), checkEvery);
    }

    /** The replicated model: what the training step runs. */
    public WinnowModel model() {
        return model;
    }

    public List<Device> devices() {
        return devices;
    }

    /** How many checksums compared the replicas so far. */
    public long checks() {
        return checks;
    }

    @Override
    public void reduceGradients() {
        List<Parameter> targets = List.copyOf(primaryTrainable.trainable());
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Replica r : others) {
                List<Parameter> sources = List.copyOf(r.trainable().trainable());
                for (int i = 0; i < sources.size(); i++) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        PtNDArray from = JniUtils.getGradient((PtNDArray) sources.get(i).array());
                        if (from == null) {
                            continue; // no shard reached this replica in this step (fewer rows than replicas)
                        }
                        PtNDArray into = JniUtils.getGradient((PtNDArray) targets.get(i).array());
                        if (into == null) {
                            throw new IllegalStateException("data parallel: " + targets.get(i).name() + " has a gradient on "
                                    + r.model().parameters().get(targets.get(i).name()).map(p -> p.array().getDevice()).orElse(null)
                                    + " but none on " + primaryDevice);
                        }
                        into.addi(from.toDevice(primaryDevice, false));
                        JniUtils.zeroGrad((PtNDArray) sources.get(i).array());
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Override
    public void synchronize(long step) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Replica r : others) {
                Map<String, NDArray> into = copiedAll ? byName(r.trainable().trainable()) : all(r.model(), r.trainable());
                Map<String, NDArray> from = copiedAll ? byName(primaryTrainable.trainable()) : all(primary, primaryTrainable);
                for (Map.Entry<String, NDArray> e : from.entrySet()) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray target = into.get(e.getKey());
                        copy(target, e.getValue());
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        boolean first = !copiedAll;
        copiedAll = true;
        if (first || (checkEvery > 0 && step % checkEvery == 0)) {
            verify(step);
        }
    }

    /** Overwrites {@code target} with {@code source} in place (the model holds {@code target}). */
    private static void copy(NDArray target, NDArray source) {
        NDArray moved = source.toDevice(target.getDevice(), false);
        if (target.getShape().dimension() == 0) {
            target.set(moved.toByteBuffer());
        } else {
            target.set(new NDIndex(":"), moved);
        }
    }

    /**
     * Compares a checksum (the float64 sum and sum of squares of every parameter, frozen ones included) of every replica
     * with the first replica's, and fails on any difference.
     */
    public void verify(long step) {
        double[] reference = checksum(all(primary, primaryTrainable));
        for (int k = 0; k < others.size(); k++) {
            double[] sum = checksum(all(others.get(k).model(), others.get(k).trainable()));
            for (int i = 0; i < sum.length; i++) {
                if (Double.doubleToLongBits(sum[i]) != Double.doubleToLongBits(reference[i])) {
                    String name = new ArrayList<>(all(primary, primaryTrainable).keySet()).get(i / 2);
                    throw new IllegalStateException(String.format(Locale.ROOT, "data parallel: the replica on %s drifted from %s at "
                            + "step %d (parameter %s: checksum %.17g, expected %.17g); replicas must hold the same weights",
                            devices.get(k + 1), primaryDevice, step, name, sum[i], reference[i]));
                }
            }
        }
        checks++;
    }

    private static double[] checksum(Map<String, NDArray> parameters) {
        double[] out = new double[parameters.size() * 2];
        int i = 0;
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (NDArray a : parameters.values()) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray d = a.toType(DataType.FLOAT64, false);
                    out[i++] = d.sum().getDouble();
                    out[i++] = d.square().sum().getDouble();
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }

    /** Every parameter of a model, with the trainable set's (LoRA adapters live outside the model's own set). */
    private static Map<String, NDArray> all(WinnowModel m, ParameterSet trainable) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        m.parameters().all().forEach(p -> out.put(p.name(), p.array()));
        trainable.all().forEach(p -> out.putIfAbsent(p.name(), p.array()));
        return out;
    }

    private static Map<String, NDArray> byName(java.util.Collection<Parameter> ps) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        ps.forEach(p -> out.put(p.name(), p.array()));
        return out;
    }

    private static List<String> names(Map<String, NDArray> m) {
        return List.copyOf(m.keySet());
    }

    private static List<String> names(java.util.Collection<Parameter> ps) {
        return ps.stream().map(Parameter::name).toList();
    }

    private static void close(Replica r) {
        r.model().close();
        r.manager().close();
    }

    /** Closes the replicas (not the first model, which its run owns). */
    @Override
    public void close() {
        others.forEach(DataParallel::close);
    }

    /** The first replica's model with a forward over every replica. */
    private final class Model implements WinnowModel {
        @Override
        public String architecture() {
            return primary.architecture();
        }

        @Override
        public Task task() {
            return primary.task();
        }

        @Override
        public ParameterSet parameters() {
            return primary.parameters();
        }

        @Override
        public @Nullable String pooling() {
            return primary.pooling();
        }

        @Override
        public NDArray forward(TokenBatch batch, boolean training) {
            long rows = batch.inputIds().getShape().get(0);
            int n = devices.size();
            List<NDArray> parts = new ArrayList<>(n);
            long from = 0;
            for (int k = 0; k < n && from < rows; k++) {
                long size = rows / n + (k < rows % n ? 1 : 0);
                if (size == 0) {
                    break;
                }
                long to = from + size;
                NDIndex slice = new NDIndex("{}:{}", from, to);
                if (k == 0) {
                    NDArray types = batch.tokenTypeIds();
                    parts.add(primary.forward(new TokenBatch(batch.inputIds().get(slice), batch.attentionMask().get(slice),
                            types == null ? null : types.get(slice)), training));
                } else {
                    Device d = devices.get(k);
                    // the shard's arrays (and what the model creates from their manager) live on the replica's device
                    // until the step's manager closes, after the backward pass
                    NDManager local = batch.inputIds().getManager().newSubManager(d);
                    TokenBatch shard = new TokenBatch(moved(batch.inputIds().get(slice), local), moved(batch.attentionMask().get(slice), local),
                            batch.tokenTypeIds() == null ? null : moved(batch.tokenTypeIds().get(slice), local));
                    NDArray out = others.get(k - 1).model().forward(shard, training);
                    parts.add(out.toDevice(primaryDevice, false));
                }
                from = to;
            }
            return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
        }

        private NDArray moved(NDArray a, NDManager local) {
            NDArray m = a.toDevice(local.getDevice(), true);
            m.attach(local);
            return m;
        }

        @Override
        public Map<String, Object> exportConfig() {
            return primary.exportConfig();
        }

        @Override
        public double forwardFlops(long batch, long length) {
            return primary.forwardFlops(batch, length);
        }

        @Override
        public void close() {
            DataParallel.this.close();
        }
    }
}
