package dev.winnow.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Activation checkpointing of a model's layer loop. A training micro-batch opens a {@link Session}; a model runs its
 * layers through {@link #layers}; the training step back-propagates through {@link #backward}.
 *
 * <p>With checkpointing on, the layers run in segments of {@code every} layers without a graph: only each segment's
 * input is kept (the last segment's output becomes a leaf that the rest of the model builds its graph on). After the
 * loss's backward pass, the segments are recomputed last to first with a graph, and each is back-propagated with the
 * gradient that arrived at its output (the surrogate {@code sum(output * gradient)}), which hands the gradient on to
 * the segment's input. Each segment reseeds the engine from one draw of the engine's stream taken when the loop starts,
 * in both passes, so dropout masks of the recomputation equal the first pass's; a session with checkpointing off (or
 * without grad mode, as in GradCache's first pass) reseeds the same way but keeps what it computes, so all of them give
 * equal outputs and gradients (which the tests check). Outside a session or outside training the loop runs plainly.
 */
public final class Checkpointing {
    private static final ThreadLocal<@Nullable Session> ACTIVE = new ThreadLocal<>();

    private Checkpointing() {}

    /** One layer: its index and input hidden states, giving its output hidden states. */
    @FunctionalInterface
    public interface Layer {
        NDArray apply(int index, NDArray hidden);
    }

    /**
     * Opens the session of one micro-batch on this thread.
     *
     * @param every layers per segment
     * @param recompute true to checkpoint; false keeps every activation but reseeds per segment the same way (the
     *     reference that checkpointing must reproduce exactly)
     */
    public static Session open(int every, boolean recompute) {
        if (every < 1) {
            throw new IllegalArgumentException("gradient_checkpointing_every must be >= 1, got " + every);
        }
        if (ACTIVE.get() != null) {
            throw new IllegalStateException("a checkpointing session is already open on this thread");
        }
        Session s = new Session(every, recompute);
        ACTIVE.set(s);
        return s;
    }

    /** Runs {@code count} layers over {@code x}, checkpointed when a session asks for it. */
    public static NDArray layers(int count, NDArray x, boolean training, Layer layer) {
        Session s = ACTIVE.get();
        if (s == null || !training) {
            for (int i = 0; i < count; i++) {
                x = layer.apply(i, x);
            }
            return x;
        }
        return s.run(count, x, layer);
    }

    /**
     * Back-propagates {@code target} and then every checkpointed segment recorded since the last call, last first.
     * Without a session (or with nothing recorded) this is {@code collector.backward(target)}.
     */
    public static void backward(GradientCollector collector, NDArray target) {
        collector.backward(target);
        Session s = ACTIVE.get();
        if (s != null) {
            s.replay(collector);
        }
    }

    /** The checkpointing state of one micro-batch. */
    public static final class Session implements AutoCloseable {
        private final int every;
        private final boolean recompute;
        private final List<Segment> pending = new ArrayList<>();
        private long recomputedLayers;

        private Session(int every, boolean recompute) {
            this.every = every;
            this.recompute = recompute;
        }

        /** Layers recomputed by this session's backward passes so far. */
        public long recomputedLayers() {
            return recomputedLayers;
        }

        private NDArray run(int count, NDArray x, Layer layer) {
            long base;
            try (NDManager m = x.getManager().newSubManager()) {
                // one draw from the engine's stream, so a caller that reseeds (GradCache) gets the same masks again
                base = m.randomInteger(0, Integer.MAX_VALUE, new Shape(1), DataType.INT64).getLong();
            }
            for (int from = 0, k = 0; from < count; from += every, k++) {
                int to = Math.min(count, from + every);
                reseed(base, k);
                if (!recompute || !JniUtils.isGradMode()) { // no graph to save memory on: nothing to recompute
                    x = segment(x, from, to, layer);
                    continue;
                }
                NDArray input = x;
                NDArray out;
                JniUtils.setGradMode(false);
                // DJL keeps every array until its manager closes: the segment's intermediates are released here, or
                // the no-grad pass would hold every layer's activations and checkpointing would save nothing
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    out = segment(input, from, to, layer);
                    NDScope.unregister(out);
                } finally {
                    JniUtils.setGradMode(true);
                }
                NDScope.register(out); // to the enclosing scope, if any (a training step's)
                out.setRequiresGradient(true); // a leaf: the loss's backward stops here and leaves its gradient
                pending.add(new Segment(base, k, from, to, input, out, layer));
                x = out;
            }
            return x;
        }

        private void replay(GradientCollector collector) {
            for (int i = pending.size() - 1; i >= 0; i--) {
                Segment s = pending.get(i);
                // one segment's recomputed activations at a time: released once its gradient has passed to its input
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray gradient = s.output.getGradient();
                    reseed(s.base, s.k);
                    NDArray again = segment(s.input, s.from, s.to, s.layer);
                    collector.backward(again.mul(gradient).sum());
                }
                recomputedLayers += s.to - s.from;
            }
            pending.clear();
        }

        private static NDArray segment(NDArray x, int from, int to, Layer layer) {
            for (int i = from; i < to; i++) {
                x = layer.apply(i, x);
            }
            return x;
        }

        private static void reseed(long base, int k) {
            Engine.getInstance().setRandomSeed((int) ((base * 1_000_003L + k * 7_919L) & 0x7fffffff));
        }

        @Override
        public void close() {
            pending.clear();
            ACTIVE.remove();
        }
    }

    private record Segment(long base, int k, int from, int to, NDArray input, NDArray output, Layer layer) {}
}
