package dev.winnow.embeddinglosses;

import static dev.winnow.embeddinglosses.Batches.batch;
import static dev.winnow.embeddinglosses.Batches.value;
import static java.lang.Math.exp;
import static java.lang.Math.log;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.UserException;
import dev.winnow.api.loss.EmbeddingBatch;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * InfoNCE on two rows in two dimensions. Queries are given unnormalised (the loss normalises):
 * q0 = (3,0) -> (1,0), q1 = (0,2) -> (0,1). Row 0: positive p0 = (0.6,0.8), negative n0 = (0,-1); row 1:
 * positive p1 = (0.8,0.6), negative n1 = (-1,0). Cosines:
 *
 * <pre>
 *          p0    n0    p1    n1
 *   q0    0.6   0     0.8   -1
 *   q1    0.8  -1     0.6    0
 * </pre>
 */
class InfonceLossTest {
    private static final double[][] Q = {{3, 0}, {0, 2}};
    private static final double[][][] DOCS = {{{0.6, 0.8}, {0, -1}}, {{0.8, 0.6}, {-1, 0}}};
    private static final double[][] FULL = {{1, 1}, {1, 1}};
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

    private static InfonceConfig config(double temperature, boolean useBatch, @Nullable Integer hard, boolean fake,
            boolean qq, boolean dd) {
        return new InfonceConfig(temperature, useBatch, hard, fake, 0.1, qq, dd);
    }

    private double loss(InfonceConfig config, double[][][] docs, double[][] mask) {
        return value(new InfonceLoss(config, 7), batch(manager, Q, docs, mask, null));
    }

    @Test
    void inBatchDenominatorHoldsEveryDocumentOfTheBatch() {
        // tau = 1. Row 0: -log(e^.6 / (e^.6 + e^0 + e^.8 + e^-1)); row 1: -log(e^.6 / (e^.8 + e^-1 + e^.6 + e^0)).
        // Both rows have the same denominator S, so the mean is log(S) - 0.6.
        double s = exp(.6) + 1 + exp(.8) + exp(-1);
        assertEquals(log(s) - .6, loss(config(1, true, null, false, false, false), DOCS, FULL), TOL);
    }

    @Test
    void temperatureDividesTheCosines() {
        // tau = 0.1: every cosine is multiplied by 10. S = e^6 + e^0 + e^8 + e^-10, loss = log(S) - 6.
        double s = exp(6) + 1 + exp(8) + exp(-10);
        assertEquals(log(s) - 6, loss(InfonceConfig.defaults(), DOCS, FULL), 1e-5);
    }

    @Test
    void withoutBatchOnlyTheRowsOwnDocumentsCompete() {
        // tau = 0.5 (cosines doubled). Row 0 (p0 .6, n0 0): log(e^1.2 + e^0) - 1.2; row 1 (p1 .6, n1 0): the same.
        double row = log(exp(1.2) + 1) - 1.2;
        assertEquals(row, loss(config(.5, false, null, false, false, false), DOCS, FULL), TOL);
        // Move row 1's negative to n1' = (0,-1) (cos -1): row 1 becomes log(e^1.2 + e^-2) - 1.2.
        double[][][] docs = {{{0.6, 0.8}, {0, -1}}, {{0.8, 0.6}, {0, -1}}};
        double row1 = log(exp(1.2) + exp(-2)) - 1.2;
        assertEquals((row + row1) / 2, loss(config(.5, false, null, false, false, false), docs, FULL), TOL);
    }

    @Test
    void paddedDocumentsNeverCountAndRowsWithoutNegativesWork() {
        // Row 1 has no negative: its second slot is padding holding (0,5), which would score cos = 1 with q1 and
        // 0 with q0 if it counted. In batch (tau 1): row 0 sees p0, n0, p1: log(e^.6 + 1 + e^.8) - .6;
        // row 1 sees p0, n0, p1: log(e^.8 + e^-1 + e^.6) - .6.
        double[][][] docs = {{{0.6, 0.8}, {0, -1}}, {{0.8, 0.6}, {0, 5}}};
        double[][] mask = {{1, 1}, {1, 0}};
        double row0 = log(exp(.6) + 1 + exp(.8)) - .6;
        double row1 = log(exp(.8) + exp(-1) + exp(.6)) - .6;
        assertEquals((row0 + row1) / 2, loss(config(1, true, null, false, false, false), docs, mask), TOL);
        // Without batch row 1 has a single candidate and contributes exactly 0: row 0 is log(e^.6 + 1) - .6.
        assertEquals((log(exp(.6) + 1) - .6) / 2, loss(config(1, false, null, false, false, false), docs, mask), TOL);
        // Every row without negatives, no batch: loss 0.
        assertEquals(0, loss(config(1, false, null, false, false, false), new double[][][] {{{1, 0}}, {{0, 1}}},
                new double[][] {{1}, {1}}), TOL);
    }

    @Test
    void fakeNegativesAboveThePositivePlusMarginAreMasked() {
        // Margin 0.1: row 0 threshold .6 + .1 = .7 masks p1 (.8); row 1 threshold .7 masks p0 (.8).
        // Row 0: log(e^.6 + e^0 + e^-1) - .6; row 1: log(e^-1 + e^.6 + e^0) - .6: equal.
        double expected = log(exp(.6) + 1 + exp(-1)) - .6;
        assertEquals(expected, loss(config(1, true, null, true, false, false), DOCS, FULL), TOL);
        // A margin of 0.3 puts the threshold at .9: nothing is masked.
        double s = exp(.6) + 1 + exp(.8) + exp(-1);
        assertEquals(log(s) - .6, value(new InfonceLoss(new InfonceConfig(1, true, null, true, 0.3, false, false), 1),
                batch(manager, Q, DOCS, FULL, null)), TOL);
        // Without batch, row 0 (n0: 0) and row 1 (n1: 0) have nothing above .7; with margin -0.7 (threshold -0.1)
        // row 0's n0 (0 > -0.1) is masked, row 1's n1 (0 > -0.1) too: both rows have only the positive, loss 0.
        assertEquals(0, value(new InfonceLoss(new InfonceConfig(1, false, null, true, -0.7, false, false), 1),
                batch(manager, Q, DOCS, FULL, null)), TOL);
    }

    @Test
    void includeQqAddsTheOtherQueries() {
        // q0 . q1 = 0, so each row's denominator gains e^0 (its own query, the diagonal, is excluded).
        double s = exp(.6) + 1 + exp(.8) + exp(-1) + 1;
        assertEquals(log(s) - .6, loss(config(1, true, null, false, true, false), DOCS, FULL), TOL);
    }

    @Test
    void includeDdAddsThePositiveAgainstEveryOtherDocument() {
        // p0 . (n0, p1, n1) = (-.8, .48 + .48 = .96, -.6); p1 . (p0, n0, n1) = (.96, -.6, -.8); p_g . p_g excluded.
        double s = exp(.6) + 1 + exp(.8) + exp(-1) + exp(-.8) + exp(.96) + exp(-.6);
        assertEquals(log(s) - .6, loss(config(1, true, null, false, false, true), DOCS, FULL), TOL);
    }

    @Test
    void qqAndDdNeedBatch() {
        assertThrows(UserException.class, () -> new InfonceLoss(config(1, false, null, false, true, false), 1));
        assertThrows(UserException.class, () -> new InfonceLoss(config(1, false, null, false, false, true), 1));
    }

    @Test
    void hardNegativesTruncateToTheFirstN() {
        // Row 0 carries negatives n0 = (0,-1) and a = (1,0) (cos 1 with q0); hard_negatives 1 keeps n0 only.
        // Row 1 carries n1 and padding. No batch, tau 1: row 0 log(e^.6 + e^0) - .6; row 1 log(e^.6 + e^0) - .6.
        double[][][] docs = {{{0.6, 0.8}, {0, -1}, {1, 0}}, {{0.8, 0.6}, {-1, 0}, {9, 9}}};
        double[][] mask = {{1, 1, 1}, {1, 1, 0}};
        assertEquals(log(exp(.6) + 1) - .6, loss(config(1, false, 1, false, false, false), docs, mask), TOL);
    }

    @Test
    void hardNegativesPadBySeededSamplingWithReplacement() {
        // Row 0 carries two negatives n0 = (0,-1) (cos 0) and a = (1,0) (cos 1); padded to 3 the third is a
        // draw from {n0, a}. Row 1 has the single negative n1 (cos 0) drawn twice more: log(e^.6 + 3) - .6.
        double[][][] docs = {{{0.6, 0.8}, {0, -1}, {1, 0}}, {{0.8, 0.6}, {-1, 0}, {9, 9}}};
        double[][] mask = {{1, 1, 1}, {1, 1, 0}};
        double row1 = log(exp(.6) + 3) - .6;
        double withN0 = (log(exp(.6) + 2 + exp(1)) - .6 + row1) / 2;
        double withA = (log(exp(.6) + 1 + 2 * exp(1)) - .6 + row1) / 2;
        InfonceConfig config = config(1, false, 3, false, false, false);
        boolean sawN0 = false;
        boolean sawA = false;
        for (long seed = 0; seed < 16; seed++) {
            double got = value(new InfonceLoss(config, seed), batch(manager, Q, docs, mask, null));
            assertEquals(got, value(new InfonceLoss(config, seed), batch(manager, Q, docs, mask, null)), 0,
                    "same seed, same draw");
            if (Math.abs(got - withN0) < TOL) {
                sawN0 = true;
            } else {
                assertEquals(withA, got, TOL);
                sawA = true;
            }
        }
        assertTrue(sawN0 && sawA, "16 seeds draw both negatives");
    }

    @Test
    void hardNegativesLeaveARowWithoutNegativesPadded() {
        // Row 1 has no negative to sample from: its 2 slots stay padding. In batch (tau 1) row 0 sees p0, n0, n0
        // (n0 drawn again), p1: log(e^.6 + 2 + e^.8) - .6; row 1 sees p0, n0, n0, p1: log(e^.8 + 2e^-1 + e^.6) - .6.
        double[][][] docs = {{{0.6, 0.8}, {0, -1}}, {{0.8, 0.6}, {0, 5}}};
        double[][] mask = {{1, 1}, {1, 0}};
        double row0 = log(exp(.6) + 2 + exp(.8)) - .6;
        double row1 = log(exp(.8) + 2 * exp(-1) + exp(.6)) - .6;
        assertEquals((row0 + row1) / 2, loss(config(1, true, 2, false, false, false), docs, mask), TOL);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(3);
        double[][] q = Batches.random(r, 3, 4);
        double[][][] docs = {Batches.random(r, 3, 4), Batches.random(r, 3, 4), Batches.random(r, 3, 4)};
        double[][] mask = {{1, 1, 1}, {1, 1, 0}, {1, 0, 0}};
        Batches.checkGradients(new InfonceLoss(config(.5, true, null, false, true, true), 1), q, docs, mask, null, 1e-6);
        Batches.checkGradients(new InfonceLoss(config(.5, false, null, false, false, false), 1), q, docs, mask, null, 1e-6);
        Batches.checkGradients(new InfonceLoss(new InfonceConfig(.5, true, null, true, 0.0, true, false), 1), q, docs,
                mask, null, 1e-6);
    }

    @Test
    void aRowWithoutPositiveIsAnError() {
        EmbeddingBatch b = batch(manager, Q, DOCS, new double[][] {{1, 1}, {0, 1}}, null);
        assertThrows(RuntimeException.class, () -> new InfonceLoss(InfonceConfig.defaults(), 1).compute(b));
    }
}
