package dev.winnow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.winnow.nn.engine.WinnowEngine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ops' scalar operations keep the scalar that autograd saved for the backward pass alive through a garbage collection
 * between forward and backward. DJL's {@code NDArray.mul(Number)} (and div, pow, maximum, minimum) do not: their
 * scalar lives in a Java direct buffer that the collector frees, and backward then reads whatever was written there
 * (this test writes NaN bytes, so the old {@code x.mul(2f)} gives NaN gradients here).
 */
class ScalarOperandsTest {
    @BeforeAll
    static void start() {
        WinnowEngine.start();
    }

    enum Op {
        MUL((x, v) -> Ops.div(Ops.mul(x, v), v)), // x * 2 / 2
        POW((x, v) -> Ops.pow(x, 1.0)),
        MAXIMUM((x, v) -> Ops.maximum(x, -1e30)),
        MINIMUM((x, v) -> Ops.minimum(x, 1e30));

        final BiFunction<NDArray, Double, NDArray> f;

        Op(BiFunction<NDArray, Double, NDArray> f) {
            this.f = f;
        }
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void gradientsSurviveAGarbageCollectionBeforeBackward(Op op) throws InterruptedException {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.create(new float[] {0.5f, 1f, 2f, 3f}).toType(type, false);
                x.setRequiresGradient(true);
                List<ByteBuffer> poison;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = x;
                    for (int i = 0; i < 64; i++) {
                        y = op.f.apply(y, 2.0);
                    }
                    NDArray loss = y.sum();
                    assertEquals(6.5, loss.toType(DataType.FLOAT64, false).getDouble(), 1e-6, op + " " + type + " forward");
                    poison = collectAndPoison();
                    gc.backward(loss);
                }
                double[] g = x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
                for (double v : g) {
                    assertEquals(1.0, v, 1e-6, op + " " + type + " gradient");
                }
                assertEquals(4096, poison.size());
            }
        }
    }

    /**
     * Runs the collector so that the JDK's cleaner frees every unreachable direct buffer, then fills many new small
     * direct buffers with 0xFF bytes (NaN as float32 and float64): freed blocks of a scalar's size get reused by them.
     */
    static List<ByteBuffer> collectAndPoison() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(i % 2 == 0 ? 4 : 8);
            while (b.hasRemaining()) {
                b.put((byte) 0xFF);
            }
            out.add(b);
        }
        return out;
    }
}
