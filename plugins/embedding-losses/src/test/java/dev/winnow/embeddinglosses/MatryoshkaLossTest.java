package dev.winnow.embeddinglosses;

import static dev.winnow.embeddinglosses.Batches.batch;
import static dev.winnow.embeddinglosses.Batches.pairs;
import static dev.winnow.embeddinglosses.Batches.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.EmbeddingLoss;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MatryoshkaLossTest {
    private static final double TOL = 1e-6;

    private NDManager manager;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void handComputedCosineSimilarityOverTwoDimensions() {
        // Row 0: q (1,1), d (1,-1), label 1. Full cosine 0 -> error 1; first dimension: (1)(1) -> cosine 1 -> 0.
        // Row 1: q (2,1), d (-1,2), label 0. Full cosine 0 -> error 0; first dimension: (2)(-1) -> cosine -1 -> 1.
        // dims [1, 2], weights [.25, 1]: .25 * mean(0, 1) + 1 * mean(1, 0) = .125 + .5 = .625.
        MatryoshkaLoss loss = new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(1, 2), List.of(.25, 1.0));
        assertEquals(.625, value(loss, pairs(manager, new double[][] {{1, 1}, {2, 1}},
                new double[][] {{1, -1}, {-1, 2}}, new double[] {1, 0})), TOL);
    }

    @Test
    void equalsTheWeightedSumOfTheInnerLossOnTruncatedRenormalisedVectors() {
        Random r = new Random(11);
        double[][] q = Batches.random(r, 3, 6);
        double[][][] docs = {Batches.random(r, 3, 6), Batches.random(r, 3, 6), Batches.random(r, 3, 6)};
        double[][] mask = {{1, 1, 0}, {1, 1, 1}, {1, 0, 0}};
        EmbeddingLoss inner = new InfonceLoss(new InfonceConfig(.05, true, null, true, .1, true, true), 1);
        List<Integer> dims = List.of(2, 4, 6);
        List<Double> weights = List.of(.5, 1.0, 2.0);
        double expected = 0;
        for (int i = 0; i < dims.size(); i++) {
            int d = dims.get(i);
            // truncated and re-normalised in plain Java, independent of the wrapper's slicing
            expected += weights.get(i) * value(inner, batch(manager, unit(q, d), unitDocs(docs, d), mask, null));
        }
        assertEquals(expected, value(new MatryoshkaLoss(inner, dims, weights), batch(manager, q, docs, mask, null)), 1e-9);
    }

    @Test
    void dimensionsAboveTheEmbeddingSizeAreSkipped() {
        // Embedding size 2: dim 8 is skipped, so the result is the dim-2 term alone (the full cosine loss: 1/2).
        MatryoshkaLoss loss = new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(2, 8), List.of(1.0, 1.0));
        assertEquals(.5, value(loss, pairs(manager, new double[][] {{1, 1}, {2, 1}},
                new double[][] {{1, -1}, {-1, 2}}, new double[] {1, 0})), TOL);
        MatryoshkaLoss none = new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(8), List.of(1.0));
        assertThrows(UserException.class, () -> value(none, pairs(manager, new double[][] {{1, 1}},
                new double[][] {{1, -1}}, new double[] {1})));
    }

    @Test
    void badDimsOrWeightsAreUserErrors() {
        assertThrows(UserException.class, () -> new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(4, 8), List.of(1.0)));
        assertThrows(UserException.class, () -> new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(0), List.of(1.0)));
        assertThrows(UserException.class, () -> new MatryoshkaLoss(new CosineSimilarityLoss(), List.of(), List.of()));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(13);
        double[][] q = Batches.random(r, 2, 4);
        double[][][] docs = {Batches.random(r, 2, 4), Batches.random(r, 2, 4)};
        double[][] mask = {{1, 1}, {1, 0}};
        Batches.checkGradients(new MatryoshkaLoss(new InfonceLoss(new InfonceConfig(.2, true, null, false, .1, true, false), 1),
                List.of(2, 4), List.of(1.0, .5)), q, docs, mask, null, 1e-6);
    }

    private static double[][] unit(double[][] x, int d) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double norm = 0;
            for (int c = 0; c < d; c++) {
                norm += x[i][c] * x[i][c];
            }
            out[i] = new double[d];
            for (int c = 0; c < d; c++) {
                out[i][c] = x[i][c] / Math.sqrt(norm);
            }
        }
        return out;
    }

    private static double[][][] unitDocs(double[][][] x, int d) {
        double[][][] out = new double[x.length][][];
        for (int i = 0; i < x.length; i++) {
            out[i] = unit(x[i], d);
        }
        return out;
    }
}
