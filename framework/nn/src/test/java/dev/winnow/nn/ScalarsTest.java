package dev.winnow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.winnow.api.Scalars;
import dev.winnow.nn.engine.WinnowEngine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scalars.of: DJL's types for each Java number, one cached array per value, and it outlives the scope it was made in. */
class ScalarsTest {
    @BeforeAll
    static void start() {
        WinnowEngine.start();
    }

    @Test
    void typesFollowDjlsNumberOverloads() {
        assertEquals(DataType.FLOAT32, Scalars.of(0.25f).getDataType());
        assertEquals(DataType.FLOAT64, Scalars.of(0.25).getDataType());
        assertEquals(DataType.INT32, Scalars.of(3).getDataType());
        assertEquals(DataType.INT64, Scalars.of(3L).getDataType());
        assertEquals(0.1, Scalars.of(0.1).getDouble(), 0.0); // double precision kept
        assertSame(Scalars.of(0.5f), Scalars.of(0.5f));
    }

    @Test
    void anArrayMadeInsideAScopeSurvivesIt() {
        NDArray inside;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            inside = Scalars.of(0.123456f); // first use of this value: made inside the scope
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {2f, 4f});
            float[] y = x.mul(inside).toFloatArray();
            assertEquals(2f * 0.123456f, y[0], 1e-7);
            assertEquals(4f * 0.123456f, y[1], 1e-7);
            assertEquals(x.getDataType(), x.mul(Scalars.of(2.0)).getDataType()); // a 0-d operand takes the other's type
        }
    }
}
