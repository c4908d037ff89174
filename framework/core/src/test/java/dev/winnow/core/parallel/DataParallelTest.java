package dev.winnow.core.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Replicas on the CPU device: the split forward, the summed gradient, the refresh and the drift check. */
class DataParallelTest {
    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** out = ids · W + b, with W trainable [3, 2] and b frozen [2]. */
    static final class Linear implements WinnowModel {
        final ParameterSet parameters = new ParameterSet();
        final NDArray w;
        final NDArray b;

        Linear(NDManager m, float offset) {
            w = m.create(new float[] {0.1f + offset, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, new Shape(3, 2));
            b = m.create(new float[] {0.25f + offset, -0.75f});
            parameters.add(new Parameter("w", w, true));
            parameters.add(new Parameter("b", b, false));
        }

        @Override
        public String architecture() {
            return "linear";
        }

        @Override
        public Task task() {
            return Task.EMBEDDING;
        }

        @Override
        public ParameterSet parameters() {
            return parameters;
        }

        @Override
        public NDArray forward(TokenBatch batch, boolean training) {
            return batch.inputIds().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).matMul(w).add(b);
        }

        @Override
        public Map<String, Object> exportConfig() {
            return Map.of();
        }

        @Override
        public double forwardFlops(long batch, long length) {
            return 0;
        }

        @Override
        public void close() {}
    }

    static final long[][] IDS = {{1, 2, 3}, {0, 1, 0}, {2, 2, 1}, {3, 0, 1}, {1, 1, 1}};

    private static DataParallel replicate(Linear primary, int n) {
        List<Device> devices = java.util.Collections.nCopies(n, Device.cpu());
        primary.w.setRequiresGradient(true);
        // replicas start from other weights: the first synchronize must overwrite every parameter, frozen ones too
        return DataParallel.create(primary, primary.parameters(), devices, 2, d -> {
            NDManager m = NDManager.newBaseManager(d);
            Linear r = new Linear(m, 1f);
            return new DataParallel.Replica(r, r.parameters(), m);
        });
    }

    private static TokenBatch batch(NDManager m, long[][] ids) {
        NDArray a = m.create(ids);
        return new TokenBatch(a, a.onesLike(), null);
    }

    /** The gradient of sum(out²) by hand: dL/dW[i][j] = Σ_rows 2 · out[r][j] · ids[r][i]. */
    private static float[] expectedGradient(long[][] ids) {
        double[][] w = {{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}};
        double[] b = {0.25, -0.75};
        float[] g = new float[6];
        for (long[] row : ids) {
            for (int j = 0; j < 2; j++) {
                double out = b[j];
                for (int i = 0; i < 3; i++) {
                    out += row[i] * w[i][j];
                }
                for (int i = 0; i < 3; i++) {
                    g[i * 2 + j] += (float) (2 * out * row[i]);
                }
            }
        }
        return g;
    }

    @Test
    void threeReplicasComputeTheWholeBatchAndTheSummedGradientOfIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear primary = new Linear(m, 0f);
            try (DataParallel dp = replicate(primary, 3)) {
                dp.synchronize(0);
                assertEquals(1, dp.checks());
                try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = dp.model().forward(batch(step, IDS), true);
                    assertEquals(new Shape(5, 2), out.getShape());
                    // rows 0-1 on the first replica, 2-3 on the second, 4 on the third: together the whole batch, in order
                    float[] whole = primary.forward(batch(step, IDS), false).toFloatArray();
                    assertArrayEquals(whole, out.toFloatArray(), 1e-6f);
                    gc.backward(out.square().sum());
                }
                dp.reduceGradients();
                assertArrayEquals(expectedGradient(IDS), primary.w.getGradient().toFloatArray(), 1e-4f);
            }
        }
    }

    @Test
    void aBatchSmallerThanTheReplicasLeavesTheLastOnesIdle() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear primary = new Linear(m, 0f);
            try (DataParallel dp = replicate(primary, 3)) {
                dp.synchronize(0);
                long[][] one = {IDS[0]};
                try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(dp.model().forward(batch(step, one), true).square().sum());
                }
                dp.reduceGradients();
                assertArrayEquals(expectedGradient(one), primary.w.getGradient().toFloatArray(), 1e-4f);
            }
        }
    }

    @Test
    void synchronizeCopiesTheUpdateAndTheChecksumCatchesADriftedReplica() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear primary = new Linear(m, 0f);
            try (DataParallel dp = replicate(primary, 2)) {
                dp.synchronize(0);
                Linear replica = (Linear) replicaModel(dp);
                assertArrayEquals(primary.b.toFloatArray(), replica.b.toFloatArray(), "the first refresh copies frozen weights too");
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                try {
                    primary.w.subi(0.125f); // an update of the first replica
                } finally {
                    ai.djl.pytorch.jni.JniUtils.setGradMode(true);
                }
                dp.synchronize(1); // no checksum at an odd step (check_every 2)
                assertEquals(1, dp.checks());
                assertArrayEquals(primary.w.toFloatArray(), replica.w.toFloatArray());
                dp.synchronize(2);
                assertEquals(2, dp.checks());
                replica.b.set(new float[] {0.25f, -0.7499f}); // what a missed or partial copy would leave
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> dp.synchronize(4));
                assertTrue(e.getMessage().contains("drifted") && e.getMessage().contains("parameter b"), e.getMessage());
            }
        }
    }

    private static WinnowModel replicaModel(DataParallel dp) {
        try {
            var f = DataParallel.class.getDeclaredField("others");
            f.setAccessible(true);
            return ((List<DataParallel.Replica>) f.get(dp)).get(0).model();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
