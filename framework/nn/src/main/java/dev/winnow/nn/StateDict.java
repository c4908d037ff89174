package dev.winnow.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.UserException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a checkpoint's tensors to the names an architecture declares, and reports in one message each what is
 * missing and what is unexpected, so that a wrong checkpoint fails at load with the names rather than deep in a
 * forward pass:
 *
 * <pre>{@code
 * StateDict.Bound bound = StateDict.of(checkpoint, directory, "bert")
 *         .renamed(n -> n.startsWith("bert.") ? n.substring(5) : n)
 *         .required(BertWeights.encoder(config))
 *         .fresh(head, shapes, init)            // a task head: used if present with the right shape, else initialised
 *         .ignored(BertWeights::pretrainingHead) // known extras, logged and dropped
 *         .bind();
 * }</pre>
 *
 * Tensors come out float32 (float64 is kept, for numerical checks such as finite differences), in declaration order.
 */
public final class StateDict {
    private static final Logger LOG = LoggerFactory.getLogger(StateDict.class);

    /** Creates a fresh tensor for a name the checkpoint lacks. */
    @FunctionalInterface
    public interface Initializer {
        NDArray create(String name, Shape shape);
    }

    /** The bound tensors by declared name, and which of them were newly initialised. */
    public record Bound(Map<String, NDArray> tensors, List<String> initialised) {}

    private record Fresh(String name, Shape shape) {}

    private final Map<String, NDArray> checkpoint;
    private final Path source;
    private final String architecture;
    private UnaryOperator<String> rename = UnaryOperator.identity();
    private final List<String> required = new ArrayList<>();
    private final List<String> optional = new ArrayList<>();
    private final List<Fresh> fresh = new ArrayList<>();
    private Initializer initializer = (n, s) -> {
        throw new IllegalStateException("no initializer for " + n);
    };
    private String freshWhat = "head";
    private Predicate<String> ignored = n -> false;
    private String ignoredWhy = "not used";

    private StateDict(Map<String, NDArray> checkpoint, Path source, String architecture) {
        this.checkpoint = checkpoint;
        this.source = source;
        this.architecture = architecture;
    }

    /**
     * @param source the model directory, for messages
     * @param architecture the architecture's name, for messages ("the checkpoint has tensors that a bert model ...")
     */
    public static StateDict of(Map<String, NDArray> checkpoint, Path source, String architecture) {
        return new StateDict(checkpoint, source, architecture);
    }

    /** Maps every checkpoint name before matching (strip a task model's prefix, add a bare model's). */
    public StateDict renamed(UnaryOperator<String> rename) {
        this.rename = rename;
        return this;
    }

    /** Names that must be present. */
    public StateDict required(List<String> names) {
        required.addAll(names);
        return this;
    }

    /** Names that are used when present and may be absent. */
    public StateDict optional(List<String> names) {
        optional.addAll(names);
        return this;
    }

    /**
     * Names (with their shapes) taken from the checkpoint when present with that shape, else created by
     * {@code initializer} with a warning that names them: a task head that a base checkpoint lacks.
     *
     * @param what what they are, for the warning ("classification head")
     */
    public StateDict fresh(Map<String, Shape> shapes, String what, Initializer initializer) {
        shapes.forEach((n, s) -> fresh.add(new Fresh(n, s)));
        this.freshWhat = what;
        this.initializer = initializer;
        return this;
    }

    /** Checkpoint tensors that are known and deliberately unused (pretraining heads): dropped, logged at info. */
    public StateDict ignored(Predicate<String> ignored, String why) {
        this.ignored = ignored;
        this.ignoredWhy = why;
        return this;
    }

    /**
     * Binds.
     *
     * @throws UserException naming every missing required tensor, or every tensor the architecture does not have
     */
    public Bound bind() {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (var e : checkpoint.entrySet()) {
            byName.put(rename.apply(e.getKey()), e.getValue());
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String n : required) {
            NDArray a = byName.remove(n);
            if (a == null) {
                missing.add(n);
            } else {
                out.put(n, floating(a));
            }
        }
        if (!missing.isEmpty()) {
            throw new UserException(source + ": the checkpoint lacks " + missing.size() + " " + architecture + " tensor(s): "
                    + abbreviate(missing) + " (is this a " + architecture + " model?)");
        }
        for (String n : optional) {
            NDArray a = byName.remove(n);
            if (a != null) {
                out.put(n, floating(a));
            }
        }
        List<String> initialised = new ArrayList<>();
        for (Fresh f : fresh) {
            NDArray a = byName.remove(f.name());
            if (a != null && !Arrays.equals(a.getShape().getShape(), f.shape().getShape())) {
                LOG.warn("{}: {} has shape {} but the {} needs {}; initialising it anew", source, f.name(), a.getShape(), freshWhat, f.shape());
                a = null;
            }
            if (a == null) {
                a = initializer.create(f.name(), f.shape());
                initialised.add(f.name());
            }
            out.put(f.name(), floating(a));
        }
        if (!initialised.isEmpty()) {
            LOG.warn("{}: newly initialised {}; train it before use: {}", source, freshWhat, initialised);
        }
        TreeSet<String> unexpected = new TreeSet<>();
        TreeSet<String> dropped = new TreeSet<>();
        for (String n : byName.keySet()) {
            (ignored.test(n) ? dropped : unexpected).add(n);
        }
        if (!unexpected.isEmpty()) {
            throw new UserException(source + ": the checkpoint has " + unexpected.size() + " tensor(s) that a " + architecture
                    + " model does not have: " + abbreviate(new ArrayList<>(unexpected)));
        }
        if (!dropped.isEmpty()) {
            LOG.info("{}: {}: {}", source, ignoredWhy, abbreviate(new ArrayList<>(dropped)));
        }
        return new Bound(out, List.copyOf(initialised));
    }

    /** Float32, except float64 (kept for numerical checks such as finite differences). */
    public static NDArray floating(NDArray a) {
        return a.getDataType() == DataType.FLOAT64 || a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }

    /** At most eight names, then a count. */
    public static String abbreviate(List<String> names) {
        return names.size() <= 8 ? String.join(", ", names) : String.join(", ", names.subList(0, 8)) + ", ... (" + names.size() + " in all)";
    }

}
