package dev.winnow.rankinglosses;

import static dev.winnow.rankinglosses.LossChecks.finiteDifferences;
import static dev.winnow.rankinglosses.LossChecks.gradient;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.rankinglosses.LambdaLoss.LogBase;
import dev.winnow.rankinglosses.LambdaLoss.Scheme;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * lambda_loss against sentence-transformers' LambdaLoss.forward transcribed in numpy (the "lambda_loss" section of
 * src/test/resources/ranking-losses/expected.py, cases A and B), and finite differences.
 */
class LambdaLossTest {
    NDManager m;

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    @BeforeEach
    void manager() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    NDArray a(double... v) {
        return m.create(v, new Shape(2, v.length / 2));
    }

    /** Case A: graded labels, a label tie (1, 1) in group 0; group 1's last entry (score 9, label 5) is padding. */
    NDArray[] caseA() {
        return new NDArray[] {a(2, 0.5, -1, 0.3, 1, 3, 0.5, 9), a(2, 1, 1, 0, 1, 0, 2, 5), a(1, 1, 1, 1, 1, 1, 1, 0)};
    }

    /** Case B: score ties (entries 0 and 1 of group 0, 1 and 2 of group 1) rank in input order. */
    NDArray[] caseB() {
        return new NDArray[] {a(1, 1, 0.5, 0, 2, 2), a(0, 1, 1, 3, 0, 1), a(1, 1, 1, 1, 1, 1)};
    }

    static LambdaLoss lambda(Scheme scheme, @Nullable Integer k, double sigma, LogBase log, double mu) {
        return new LambdaLoss(scheme, mu, k, sigma, 1e-10, log);
    }

    static LambdaLoss lambda(Scheme scheme) {
        return lambda(scheme, null, 1.0, LogBase.BINARY, 10.0);
    }

    static double value(RankingLoss loss, NDArray[] c) {
        return loss.compute(c[0], c[1], c[2]).getDouble();
    }

    @Test
    void everySchemeMatchesSentenceTransformersOnGradedLabelsWithPadding() {
        Map<Scheme, double[]> expected = Map.of(
                Scheme.NONE, new double[] {1.4854039918728037, -0.06930646781196512, -0.04828348264088674, -0.13316239511868222,
                    0.25075234557153403, -0.04658782326852551, 0.3254970496487042, -0.2789092263801787, 0.0},
                Scheme.NDCG_LOSS1, new double[] {0.25099060395663336, -0.0031692554009803905, -0.0002174542087336577,
                    -0.011782411059315337, 0.015169120669029378, 0.002221360606173759, 0.030863921610823956, -0.03308528221699771, 0.0},
                Scheme.NDCG_LOSS2, new double[] {0.16913618901659308, -0.008814149291103008, -0.0013745829202802392,
                    -0.012374213002211094, 0.02256294521359434, 0.006674552658832284, 0.03417422561565549, -0.040848778274487775, 0.0},
                Scheme.LAMBDARANK, new double[] {0.27175942252717533, -0.018350708744106138, 0.0033053829235912117,
                    -2.075647317983237e-05, 0.015066082293694757, -0.008049960031749476, 0.08499433767853001, -0.07694437764678054, 0.0},
                Scheme.NDCG_LOSS2PP, new double[] {1.9631213126931057, -0.10649220165513622, -0.010440446279211188,
                    -0.12376288649529076, 0.24069553442963817, 0.058695566556573375, 0.4267365938350849, -0.48543216039165826, 0.0});
        NDArray[] c = caseA();
        for (Scheme scheme : Scheme.values()) {
            double[] e = expected.get(scheme);
            LambdaLoss loss = lambda(scheme);
            assertEquals(e[0], value(loss, c), 1e-7, scheme.name());
            double[] grad = new double[e.length - 1];
            System.arraycopy(e, 1, grad, 0, grad.length);
            assertArrayEquals(grad, gradient(s -> loss.compute(s, c[1], c[2]), c[0]), 1e-7, scheme.name());
        }
    }

    @Test
    void topKSigmaAndNaturalLog() {
        NDArray[] c = caseA();
        assertEquals(2.300689322961188, value(lambda(Scheme.NDCG_LOSS2PP, 2, 2.0, LogBase.NATURAL, 10.0), c), 1e-7);
        assertEquals(0.2091535748146535, value(lambda(Scheme.LAMBDARANK, 2, 2.0, LogBase.NATURAL, 10.0), c), 1e-7);
        assertEquals(2.0333686397457758, value(lambda(Scheme.NONE, 2, 2.0, LogBase.NATURAL, 10.0), c), 1e-7);
        // ranknet takes the same options and is lambda_loss with scheme none
        assertEquals(2.0333686397457758, value(new RankNet(2.0, 1e-10, 2, LogBase.NATURAL), c), 1e-7);
        assertEquals(1.4854039918728037, value(new RankNet(1.0, 1e-10), c), 1e-7);
    }

    @Test
    void scoreTiesRankInInputOrderAndMuScalesNdcgLoss2() {
        NDArray[] c = caseB();
        assertEquals(3.7786922707813675, value(lambda(Scheme.NDCG_LOSS2PP), c), 1e-7);
        assertArrayEquals(new double[] {0.5583674605983755, -0.35912116656511567, -0.19924629403325977, -1.1854696210492461,
            0.4985578824707365, 0.6869117385785096}, gradient(s -> lambda(Scheme.NDCG_LOSS2PP).compute(s, c[1], c[2]), c[0]), 1e-7);
        assertEquals(0.31447130890963254, value(lambda(Scheme.NDCG_LOSS1), c), 1e-7);
        assertArrayEquals(new double[] {0.030798012485874618, -0.011914214500945222, -0.018883797984929396, -0.06396881684285427,
            0.03569279009632182, 0.028276026746532443}, gradient(s -> lambda(Scheme.NDCG_LOSS1).compute(s, c[1], c[2]), c[0]), 1e-7);
        assertEquals(0.8150496107136279, value(lambda(Scheme.NDCG_LOSS2PP, null, 1.0, LogBase.BINARY, 1.0), c), 1e-7);
    }

    @Test
    void finiteDifferencesForEverySchemeAndOption() {
        NDArray[] c = caseA();
        for (Scheme scheme : Scheme.values()) {
            for (LambdaLoss loss : new LambdaLoss[] {lambda(scheme), lambda(scheme, 2, 2.0, LogBase.NATURAL, 3.0)}) {
                finiteDifferences(m, s -> loss.compute(s, c[1], c[2]), c[0], 1e-7);
            }
        }
    }

    @Test
    void aBatchWithoutPairsIsZeroAndHugeGapsStayFinite() {
        NDArray s = a(1, 2, 3, 4);
        assertEquals(0.0, value(lambda(Scheme.NDCG_LOSS2PP), new NDArray[] {s, a(1, 1, 0, 0), s.onesLike()}));
        assertArrayEquals(new double[4], gradient(x -> lambda(Scheme.NDCG_LOSS2PP).compute(x, a(1, 1, 0, 0), x.onesLike()), s), 0);
        // sigmoid(-200) is clamped at eps: weight x -log2(eps), gradient 0 and not NaN
        NDArray far = a(-100, 100, 0, 0);
        NDArray y = a(1, 0, 0, 0);
        NDArray mask = a(1, 1, 0, 0);
        assertEquals(-Math.log(1e-10) / Math.log(2), value(lambda(Scheme.NONE), new NDArray[] {far, y, mask}), 1e-6);
        assertArrayEquals(new double[4], gradient(x -> lambda(Scheme.NDCG_LOSS2PP).compute(x, y, mask), far), 0);
    }
}
