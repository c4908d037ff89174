package dev.winnow.rankinglosses

import ai.djl.engine.Engine
import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import dev.winnow.nn.engine.WinnowEngine
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe

/**
 * mnrl and cached_mnrl on laid-out rows (positive first, in-batch and hard negatives after it) against the numpy
 * definition in src/test/resources/ranking-losses/expected.py ("mnrl" lines), and finite differences. That the runner
 * lays the rows out and that cached_mnrl equals mnrl through a model is the integration test's part.
 */
class MnrlSpec : FunSpec({
    beforeSpec { WinnowEngine.start() }

    // row 1's last entry (7) is padding: a row with fewer candidates than the widest
    val scores = doubleArrayOf(0.8, -0.3, 1.2, 0.1, -0.5, 0.4, 0.0, 7.0)
    val mask = doubleArrayOf(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0)

    fun gradient(m: NDManager, loss: Mnrl, s: NDArray, labels: NDArray, mask: NDArray): DoubleArray {
        val p = s.duplicate()
        p.setRequiresGradient(true)
        Engine.getInstance().newGradientCollector().use { gc -> gc.backward(loss.compute(p, labels, mask)) }
        return p.gradient.toType(DataType.FLOAT64, false).toDoubleArray()
    }

    data class Case(val activation: Mnrl.Activation, val scale: Double, val value: Double, val grad: List<Double>)

    val cases = listOf(
        Case(Mnrl.Activation.SIGMOID, 10.0, 1.9226727493018863, listOf(-0.7601293496007415, 0.025128876394540863,
            0.564441189285739, 0.06927969421816639, -1.0881853808333133, 0.8104439511847805, 0.31432947774235565, 0.0)),
        Case(Mnrl.Activation.IDENTITY, 1.0, 1.415611009169936, listOf(-0.34945568074967226, 0.05011185069344626,
            0.22458573354723108, 0.07475809650899497, -0.4021205462644817, 0.2407446089262235, 0.1613759373382581, 0.0)),
        Case(Mnrl.Activation.TANH, 10.0, 5.1540635245658, listOf(-2.362348014041901, 5.028254806328958e-05,
            1.2880420739346845, 0.002713955090427195, -3.9313916591071663, 4.18363351588832, 0.10943740679002224, 0.0)),
    )

    for (c in cases) {
        test("${c.activation.name.lowercase()} x ${c.scale}: value, gradient and finite differences; padding gets none") {
            NDManager.newBaseManager().use { m ->
                val shape = Shape(2, 4)
                val s = m.create(scores, shape)
                val y = m.create(doubleArrayOf(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0), shape)
                val mk = m.create(mask, shape)
                val loss = Mnrl(4, c.scale, c.activation)
                loss.compute(s, y, mk).getDouble() shouldBe (c.value plusOrMinus 1e-7)
                val g = gradient(m, loss, s, y, mk)
                g.indices.forEach { i -> g[i] shouldBe (c.grad[i] plusOrMinus 1e-7) }
                val h = 1e-6
                for (i in scores.indices) {
                    val plus = scores.clone().also { it[i] += h }
                    val minus = scores.clone().also { it[i] -= h }
                    val fd = (loss.compute(m.create(plus, shape), y, mk).getDouble() -
                        loss.compute(m.create(minus, shape), y, mk).getDouble()) / (2 * h)
                    g[i] shouldBe (fd plusOrMinus 1e-7)
                }
                // cached_mnrl computes the same loss over the same rows
                CachedMnrl(loss, 3).compute(s, y, mk).getDouble() shouldBe (c.value plusOrMinus 1e-12)
            }
        }
    }
})
