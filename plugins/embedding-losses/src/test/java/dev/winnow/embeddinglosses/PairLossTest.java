package dev.winnow.embeddinglosses;

import static dev.winnow.embeddinglosses.Batches.batch;
import static dev.winnow.embeddinglosses.Batches.pairs;
import static dev.winnow.embeddinglosses.Batches.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.winnow.api.UserException;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The labelled-pair losses on four pairs in two dimensions (unnormalised on purpose):
 *
 * <pre>
 *   row  query   document    cosine            distance 1 - cos
 *   0    (2,0)   (3,0)       1                 0
 *   1    (1,1)   (1,0)       1/sqrt2 = .70711  .29289
 *   2    (0,3)   (1,0)       0                 1
 *   3    (1,0)   (0.8,0.6)   .8                .2
 * </pre>
 */
class PairLossTest {
    private static final double[][] Q = {{2, 0}, {1, 1}, {0, 3}, {1, 0}};
    private static final double[][] D = {{3, 0}, {1, 0}, {1, 0}, {0.8, 0.6}};
    private static final double C1 = Math.sqrt(0.5);
    private static final double D1 = 1 - C1;
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
    void cosineSimilarityIsTheMeanSquaredErrorAgainstTheLabel() {
        // labels (1, .5, .2, .8): squared errors 0, (.70711 - .5)^2, (0 - .2)^2, 0; mean over 4.
        double expected = (Math.pow(C1 - .5, 2) + .04) / 4;
        assertEquals(expected, value(new CosineSimilarityLoss(), pairs(manager, Q, D, new double[] {1, .5, .2, .8})), TOL);
    }

    @Test
    void aPaddedPairIsLeftOutOfTheMean() {
        // A fifth row whose document is padding (and would add (1 - 0)^2 if it counted): the mean stays over 4.
        double[][] q = {{2, 0}, {1, 1}, {0, 3}, {1, 0}, {1, 0}};
        double[][][] docs = {{{3, 0}}, {{1, 0}}, {{1, 0}}, {{0.8, 0.6}}, {{1, 0}}};
        double[][] mask = {{1}, {1}, {1}, {1}, {0}};
        double expected = (Math.pow(C1 - .5, 2) + .04) / 4;
        assertEquals(expected, value(new CosineSimilarityLoss(), batch(manager, q, docs, mask, new double[] {1, .5, .2, .8, 0})), TOL);
    }

    @Test
    void contrastivePullsPositivesAndPushesNegativesInsideTheMargin() {
        // labels (1, 1, 0, 0), margin .5: .5 * 0^2, .5 * .29289^2, .5 * relu(.5 - 1)^2 = 0, .5 * relu(.5 - .2)^2 = .045.
        double expected = (0.5 * D1 * D1 + 0.045) / 4;
        assertEquals(expected, value(new ContrastiveLoss(ContrastiveConfig.defaults()),
                pairs(manager, Q, D, new double[] {1, 1, 0, 0})), TOL);
        // margin 1.2: row 2 now counts .5 * .2^2 = .02 and row 3 .5 * 1^2 = .5.
        double wide = (0.5 * D1 * D1 + 0.02 + 0.5) / 4;
        assertEquals(wide, value(new ContrastiveLoss(new ContrastiveConfig(1.2)),
                pairs(manager, Q, D, new double[] {1, 1, 0, 0})), TOL);
    }

    @Test
    void onlineContrastiveSumsOnlyHardPairs() {
        // labels (1, 1, 0, 0): positives' distances (0, .29289), negatives' (1, .2).
        // Two positives: hard negatives are those closer than max(pos) = .29289 -> row 3 (.2): relu(.5 - .2)^2 = .09.
        // Two negatives: hard positives are farther than min(neg) = .2 -> row 1: .29289^2. Sum, not mean.
        double expected = 0.09 + D1 * D1;
        assertEquals(expected, value(new OnlineContrastiveLoss(ContrastiveConfig.defaults()),
                pairs(manager, Q, D, new double[] {1, 1, 0, 0})), TOL);
    }

    @Test
    void onlineContrastiveWithOnePositiveUsesTheNegativesMean() {
        // labels (1, 0, 0, 0): one positive (distance 0), so the negative threshold is the negatives' mean
        // (.29289 + 1 + .2) / 3 = .49763: rows 1 and 3 are hard, relu(.5 - .29289)^2 + relu(.5 - .2)^2.
        // Three negatives: positives farther than min(neg) = .2 are hard; row 0 (0) is not.
        double expected = Math.pow(.5 - D1, 2) + 0.09;
        assertEquals(expected, value(new OnlineContrastiveLoss(ContrastiveConfig.defaults()),
                pairs(manager, Q, D, new double[] {1, 0, 0, 0})), TOL);
    }

    @Test
    void onlineContrastiveRefusesGradedLabels() {
        assertThrows(UserException.class, () -> value(new OnlineContrastiveLoss(ContrastiveConfig.defaults()),
                pairs(manager, Q, D, new double[] {1, .5, 0, 0})));
    }

    @Test
    void pairLossesRefuseRowsWithNegativesAndBatchesWithoutLabels() {
        double[][][] docs = {{{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}};
        double[][] mask = {{1, 1}, {1, 0}};
        UserException many = assertThrows(UserException.class, () -> value(new CosineSimilarityLoss(),
                batch(manager, new double[][] {{1, 0}, {0, 1}}, docs, mask, new double[] {1, 0})));
        assertEquals(true, many.getMessage().contains("row 0 carries 2 documents"), many.getMessage());
        assertThrows(UserException.class, () -> value(new ContrastiveLoss(ContrastiveConfig.defaults()),
                batch(manager, new double[][] {{1, 0}, {0, 1}}, docs, new double[][] {{1, 0}, {1, 0}}, null)));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(5);
        double[][] q = Batches.random(r, 4, 3);
        double[][][] docs = {Batches.random(r, 1, 3), Batches.random(r, 1, 3), Batches.random(r, 1, 3), Batches.random(r, 1, 3)};
        double[][] mask = {{1}, {1}, {1}, {1}};
        Batches.checkGradients(new CosineSimilarityLoss(), q, docs, mask, new double[] {.9, .1, .5, .3}, 1e-6);
        Batches.checkGradients(new ContrastiveLoss(new ContrastiveConfig(1.5)), q, docs, mask, new double[] {1, 0, 1, 0}, 1e-6);
        Batches.checkGradients(new OnlineContrastiveLoss(new ContrastiveConfig(1.5)), q, docs, mask, new double[] {1, 0, 1, 0}, 1e-6);
    }
}
