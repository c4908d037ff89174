package dev.winnow.embeddinglosses;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.api.loss.EmbeddingLoss;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/** Builds small explicit batches and checks gradients against central finite differences. */
final class Batches {
    private Batches() {}

    static EmbeddingBatch batch(NDManager m, double[][] q, double[][][] docs, double[][] mask, double @Nullable [] labels) {
        int rows = docs.length;
        int n = docs[0].length;
        int dim = docs[0][0].length;
        double[] flat = new double[rows * n * dim];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                System.arraycopy(docs[i][j], 0, flat, (i * n + j) * dim, dim);
            }
        }
        return new EmbeddingBatch(m.create(q), m.create(flat, new Shape(rows, n, dim)), m.create(mask),
                labels == null ? null : m.create(labels));
    }

    /** Pairs: one document per row. */
    static EmbeddingBatch pairs(NDManager m, double[][] q, double[][] d, double[] labels) {
        double[][][] docs = new double[d.length][][];
        double[][] mask = new double[d.length][];
        for (int i = 0; i < d.length; i++) {
            docs[i] = new double[][] {d[i]};
            mask[i] = new double[] {1};
        }
        return batch(m, q, docs, mask, labels);
    }

    static double value(EmbeddingLoss loss, EmbeddingBatch batch) {
        NDArray out = loss.compute(batch);
        if (!out.getShape().equals(new Shape())) {
            throw new AssertionError("loss is not a scalar: " + out.getShape());
        }
        return out.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }

    static double[][] random(Random r, int rows, int dim) {
        double[][] out = new double[rows][dim];
        for (double[] row : out) {
            for (int i = 0; i < dim; i++) {
                row[i] = r.nextGaussian();
            }
        }
        return out;
    }

    /**
     * Asserts the analytic gradient of the loss with respect to queries and documents equals central finite
     * differences (float64, step 1e-5) within {@code tolerance}, and that it is not all zero.
     */
    static void checkGradients(EmbeddingLoss loss, double[][] q, double[][][] docs, double[][] mask,
            double @Nullable [] labels, double tolerance) {
        double[] gq;
        double[] gd;
        try (NDManager m = NDManager.newBaseManager()) {
            EmbeddingBatch b = batch(m, q, docs, mask, labels);
            b.queries().setRequiresGradient(true);
            b.documents().setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.compute(b));
            }
            gq = b.queries().getGradient().flatten().toDoubleArray();
            gd = b.documents().getGradient().flatten().toDoubleArray();
        }
        double eps = 1e-5;
        double norm = 0;
        int k = 0;
        for (int i = 0; i < q.length; i++) {
            for (int j = 0; j < q[i].length; j++, k++) {
                double keep = q[i][j];
                q[i][j] = keep + eps;
                double plus = at(loss, q, docs, mask, labels);
                q[i][j] = keep - eps;
                double minus = at(loss, q, docs, mask, labels);
                q[i][j] = keep;
                assertClose((plus - minus) / (2 * eps), gq[k], tolerance, "d/dq[" + i + "][" + j + "]");
                norm += Math.abs(gq[k]);
            }
        }
        k = 0;
        for (int i = 0; i < docs.length; i++) {
            for (int j = 0; j < docs[i].length; j++) {
                for (int c = 0; c < docs[i][j].length; c++, k++) {
                    double keep = docs[i][j][c];
                    docs[i][j][c] = keep + eps;
                    double plus = at(loss, q, docs, mask, labels);
                    docs[i][j][c] = keep - eps;
                    double minus = at(loss, q, docs, mask, labels);
                    docs[i][j][c] = keep;
                    assertClose((plus - minus) / (2 * eps), gd[k], tolerance, "d/ddocs[" + i + "][" + j + "][" + c + "]");
                    norm += Math.abs(gd[k]);
                }
            }
        }
        if (norm == 0) {
            throw new AssertionError("gradient is identically zero: the check would prove nothing");
        }
    }

    private static double at(EmbeddingLoss loss, double[][] q, double[][][] docs, double[][] mask, double @Nullable [] labels) {
        try (NDManager m = NDManager.newBaseManager()) {
            return value(loss, batch(m, q, docs, mask, labels));
        }
    }

    private static void assertClose(double expected, double actual, double tolerance, String what) {
        if (Math.abs(expected - actual) > tolerance * Math.max(1, Math.abs(expected))) {
            throw new AssertionError(what + ": finite difference " + expected + " but autograd " + actual);
        }
    }
}
