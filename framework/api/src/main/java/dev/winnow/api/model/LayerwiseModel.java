package dev.winnow.api.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A reranker with a score head on several layers (FlagEmbedding's layerwise reranker,
 * bge-reranker-v2-minicpm-layerwise): each head scores the hidden state after its layer, so inference can stop at
 * an earlier layer. {@link #forward} scores at the model's cutoff layer (the last one unless {@link #atLayer} chose
 * another); training reads every head at once through {@link #forwardLayers}.
 */
public interface LayerwiseModel extends WinnowModel {
    /** The layers that have a score head, ascending (layer {@code n} is the hidden state after {@code n} decoder layers). */
    List<Integer> scoreLayers();

    /** The layer whose score {@link #forward} returns. */
    int cutoffLayer();

    /**
     * The scores of each of {@code layers} (ascending, each one of {@link #scoreLayers()}), {@code [layers.size(), batch]};
     * the computation stops after the highest of them.
     *
     * @throws dev.winnow.api.UserException naming the valid layers when one has no head
     */
    NDArray forwardLayers(TokenBatch batch, List<Integer> layers, boolean training);

    /**
     * This model (the same weights and adapters) scoring at {@code layer} in {@link #forward}.
     *
     * @throws dev.winnow.api.UserException naming the valid layers when {@code layer} has no head
     */
    LayerwiseModel atLayer(int layer);
}
