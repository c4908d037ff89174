package dev.winnow.core.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.Encoded;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import java.util.List;

/**
 * A model with the tokenizer that feeds it and the longest input it takes: what scorers, training steps and the
 * inference classes carry instead of the three separately. {@code maxLength} is the requested length capped once, at
 * construction, by the tokenizer's {@code model_max_length}.
 */
public record TextModel(WinnowModel model, HfTokenizer tokenizer, int maxLength) {
    /** {@code requestedMaxLength} capped by what the tokenizer says the model takes. */
    public static TextModel of(WinnowModel model, HfTokenizer tokenizer, int requestedMaxLength) {
        return new TextModel(model, tokenizer, Math.min(requestedMaxLength, tokenizer.modelMaxLength()));
    }

    /** Pads encoded inputs into one batch on the tokenizer's padding side. */
    public TokenBatch pad(List<Encoded> inputs, NDManager scope) {
        return Batches.pad(inputs, tokenizer.padId(), tokenizer.padLeft(), scope);
    }

    /** The model's output for a batch of encoded inputs padded to {@code length} tokens. */
    public NDArray forward(List<Encoded> inputs, int length, NDManager scope, boolean training) {
        return model.forward(Batches.pad(inputs, tokenizer.padId(), tokenizer.padLeft(), length, scope), training);
    }

    /** The model's output for a batch of encoded inputs. */
    public NDArray forward(List<Encoded> inputs, NDManager scope, boolean training) {
        return model.forward(pad(inputs, scope), training);
    }
}
