package dev.winnow.core.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.winnow.api.text.Encoded;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient caching (GradCache, Gao et al. 2021) over the inputs of one micro-batch: a first pass runs the model over
 * every input without a graph in chunks; the loss and its gradient with respect to those outputs are taken once; then
 * each chunk runs again with a graph and is back-propagated with its slice of that gradient. Both passes of a chunk
 * draw the same random numbers (the engine is reseeded per chunk from one draw of the step's stream), so dropout
 * masks agree and the gradients equal the uncached loss's; the second pass checks that before back-propagating.
 * Activation memory is one chunk's. Embedding steps cache query and document vectors; reranker steps cache pair scores.
 */
final class GradCache {
    /** Runs the model over a chunk of inputs. */
    @FunctionalInterface
    interface Forward {
        NDArray apply(List<Encoded> inputs, NDManager scope);
    }

    private final NDManager scope;
    private final int chunk;
    private final long base;

    /** Draws the step's seed from the engine's stream (so a run is reproducible from its seed). */
    GradCache(NDManager scope, int chunk) {
        this.scope = scope;
        this.chunk = chunk;
        this.base = scope.randomInteger(0, Integer.MAX_VALUE, new Shape(1), DataType.INT64).getLong();
    }

    /**
     * The outputs of every input, concatenated along the first axis, computed without a graph; the returned array
     * requires a gradient so that a loss over it can be differentiated down to it.
     *
     * @param side tells the seeds of distinct input lists of one step apart (queries 0, documents 1)
     */
    NDArray firstPass(List<Encoded> inputs, int side, Forward forward) {
        List<NDArray> parts = new ArrayList<>();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int from = 0, k = 0; from < inputs.size(); from += chunk, k++) {
                reseed(side, k);
                try (NDManager local = scope.newSubManager()) {
                    NDArray v = forward.apply(inputs.subList(from, Math.min(inputs.size(), from + chunk)), local);
                    v.attach(scope); // no graph in this pass: the outputs outlive the chunk's manager
                    parts.add(v);
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts));
        out.setRequiresGradient(true);
        return out;
    }

    /**
     * Back-propagates every chunk of the graph pass with its slice of {@code gradient} (the loss's gradient with
     * respect to {@code first}, the first pass's outputs), after checking that each chunk computes what it computed in
     * the first pass: otherwise the cached gradient belongs to other outputs and the update would be wrong.
     */
    void replay(GradientCollector collector, List<Encoded> inputs, int side, NDArray first, NDArray gradient, Forward forward) {
        for (int from = 0, k = 0; from < inputs.size(); from += chunk, k++) {
            reseed(side, k);
            try (NDManager local = scope.newSubManager()) {
                NDArray piece = forward.apply(inputs.subList(from, Math.min(inputs.size(), from + chunk)), local);
                NDIndex rows = new NDIndex("{}:{}", from, from + piece.getShape().get(0));
                float drift;
                try (NDArray diff = piece.stopGradient().sub(first.get(rows).stopGradient()).abs().max()) {
                    drift = diff.getFloat();
                }
                if (drift > 1e-3f) {
                    throw new IllegalStateException("GradCache: a chunk computed differently in its second pass (max difference "
                            + drift + "); the model's forward is not reproducible under a fixed seed");
                }
                dev.winnow.nn.Checkpointing.backward(collector, piece.mul(gradient.get(rows)).sum());
            }
        }
    }

    private void reseed(int side, int k) {
        Engine.getInstance().setRandomSeed((int) ((base * 1_000_003L + side * 7_919L + k) & 0x7fffffff));
    }
}
