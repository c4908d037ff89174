package dev.winnow.examples.kotlin

import ai.djl.ndarray.NDArray
import dev.winnow.api.Registrar
import dev.winnow.api.Scalars
import dev.winnow.api.WinnowPlugin
import dev.winnow.api.config.Default
import dev.winnow.api.config.Doc
import dev.winnow.api.config.Range
import dev.winnow.api.loss.RankingLoss

/** Recipe keys of the `example_ranknet` loss (named so the built-in `ranknet` keeps its name): `loss: {type: example_ranknet, sigma: 1.0}`. */
@Doc("RankNet: pairwise logistic loss between each group's positives and its negatives.")
@JvmRecord
data class RankNetConfig(
    @Doc("Steepness of the logistic; the loss of a pair is log(1 + exp(-sigma * (s_pos - s_neg)))")
    @Default("1.0")
    @Range(min = 0.0, minExclusive = true)
    val sigma: Double,
)

/**
 * Mean over every (positive, negative) pair of a group of `log(1 + exp(-sigma * (s_pos - s_neg)))`, using the
 * mask to ignore padded entries. Written with softplus for numerical stability.
 */
class RankNetLoss(private val sigma: Double) : RankingLoss {
    override fun compute(scores: NDArray, labels: NDArray, mask: NDArray): NDArray {
        // [g, n, 1] - [g, 1, n] -> difference of every (i, j) pair in a group. Scalars.of, not mul(Number): DJL frees
        // a Number operand that autograd keeps for backward
        val diff = scores.expandDims(2).sub(scores.expandDims(1)).mul(Scalars.of(sigma))
        val isPos = labels.gt(0f).logicalAnd(mask.gt(0f))
        val isNeg = labels.lte(0f).logicalAnd(mask.gt(0f))
        val pairs = isPos.expandDims(2).logicalAnd(isNeg.expandDims(1)).toType(scores.dataType, false)
        // softplus(-d) = log(1 + exp(-d)), stable: relu(-d) + log1p(exp(-|d|))
        val softplus = diff.neg().maximum(Scalars.of(0f)).add(diff.abs().neg().exp().add(1f).log())
        val count = pairs.sum().maximum(Scalars.of(1f))
        return softplus.mul(pairs).sum().div(count)
    }
}

/** Registered through `META-INF/services/dev.winnow.api.WinnowPlugin`, written by hand. */
class RankNetPlugin : WinnowPlugin {
    override fun name() = "example-kotlin-ranknet"

    override fun register(registrar: Registrar) {
        registrar.loss("example_ranknet", RankNetConfig::class.java, RankNetLoss::class.java) { config, _ ->
            RankNetLoss(config.sigma)
        }
    }
}
