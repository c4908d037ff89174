package dev.winnow.api;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scalar operands that are safe under autograd: write {@code x.mul(Scalars.of(0.5f))}, never {@code x.mul(0.5f)}.
 *
 * <p>DJL's {@code NDArray} overloads that take a {@code Number} ({@code mul}, {@code div}, {@code pow},
 * {@code maximum}, {@code minimum}, ...) build the scalar with {@code torch::from_blob} over a Java direct buffer and
 * close it right after the operation; libtorch does not own that memory. The operation's autograd node keeps the
 * scalar for the backward pass, so a garbage collection between forward and backward frees the buffer under it and
 * backward reads whatever the allocator put there since: NaN, or silently wrong gradients. The arrays made here live
 * in libtorch-owned memory for the life of the JVM, one per distinct (type, value), so nothing can free them under a
 * graph. Their type follows the Java value exactly as DJL's overloads do ({@code Float} float32, {@code Double}
 * float64, {@code Integer} int32, {@code Long} int64), and a 0-d operand takes the other operand's type in the
 * operation, so results equal the overload's. A test (ScalarOperandGuardTest) reads every Winnow class's bytecode
 * and refuses the overloads.
 */
public final class Scalars {
    private record Key(DataType type, double value) {}

    private static final Map<Key, NDArray> CACHE = new ConcurrentHashMap<>();
    private static volatile NDManager manager;

    private Scalars() {}

    /** The 0-d array holding {@code value}, in the type DJL's {@code Number} overload would give it. */
    public static NDArray of(Number value) {
        DataType type;
        if (value instanceof Float) {
            type = DataType.FLOAT32;
        } else if (value instanceof Double) {
            type = DataType.FLOAT64;
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            type = DataType.INT32;
        } else if (value instanceof Long) {
            type = DataType.INT64;
        } else {
            throw new IllegalArgumentException("unsupported scalar type " + value.getClass().getName());
        }
        double v = value.doubleValue();
        return CACHE.computeIfAbsent(new Key(type, v), k -> make(k.type(), value));
    }

    private static NDArray make(DataType type, Number value) {
        // zeros() allocates in libtorch; the in-place add of DJL's own scalar runs at once, with no graph to keep it
        NDArray a = manager().zeros(new Shape(), type);
        a.addi(value);
        // made on first use, possibly inside a training step's NDScope, which would close it with the step's arrays
        NDScope.unregister(a);
        return a;
    }

    private static NDManager manager() {
        NDManager m = manager;
        if (m == null) {
            synchronized (Scalars.class) {
                m = manager;
                if (m == null) {
                    m = NDManager.newBaseManager(Device.cpu()); // a CPU 0-d operand combines with arrays on any device
                    manager = m;
                }
            }
        }
        return m;
    }
}
