package dev.winnow.examples.kotlin

import ai.djl.ndarray.NDManager
import dev.winnow.api.WinnowPlugin
import dev.winnow.nn.engine.WinnowEngine
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import java.util.ServiceLoader
import kotlin.math.exp
import kotlin.math.ln

class RankNetSpec : FunSpec({
    beforeSpec { WinnowEngine.start() }

    fun softplusNeg(d: Double) = ln(1 + exp(-d))

    test("matches hand-computed pair losses and ignores padded entries") {
        NDManager.newBaseManager().use { m ->
            val scores = m.create(floatArrayOf(2f, 1f, 0f, 0.5f, 3f, 99f), ai.djl.ndarray.types.Shape(2, 3))
            val labels = m.create(floatArrayOf(1f, 0f, 0f, 1f, 0f, 0f), ai.djl.ndarray.types.Shape(2, 3))
            val mask = m.create(floatArrayOf(1f, 1f, 1f, 1f, 1f, 0f), ai.djl.ndarray.types.Shape(2, 3))
            val loss = RankNetLoss(1.0).compute(scores, labels, mask).getFloat().toDouble()
            // pairs: (2 vs 1) d=1, (2 vs 0) d=2, (0.5 vs 3) d=-2.5; the 99 is padding
            val expected = (softplusNeg(1.0) + softplusNeg(2.0) + softplusNeg(-2.5)) / 3
            expected shouldBe (1.00635981 plusOrMinus 1e-7)
            loss shouldBe (expected plusOrMinus 1e-5)
        }
    }

    test("sigma scales the score differences") {
        NDManager.newBaseManager().use { m ->
            val scores = m.create(floatArrayOf(1f, 0f), ai.djl.ndarray.types.Shape(1, 2))
            val labels = m.create(floatArrayOf(1f, 0f), ai.djl.ndarray.types.Shape(1, 2))
            val mask = m.ones(ai.djl.ndarray.types.Shape(1, 2))
            RankNetLoss(3.0).compute(scores, labels, mask).getFloat().toDouble() shouldBe (softplusNeg(3.0) plusOrMinus 1e-6)
        }
    }

    test("the hand-written services entry makes the plugin discoverable") {
        val names = ServiceLoader.load(WinnowPlugin::class.java).map { it.name() }
        names.contains("example-kotlin-ranknet") shouldBe true
    }
})
