package dev.winnow.core.mine;

import dev.winnow.core.infer.Embedder;
import java.util.List;

/** Texts to L2-normalised vectors, one per text, in order. */
public interface TextEncoder {
    float[][] encode(List<String> texts);

    /** Texts truncated so far. */
    default long truncated() {
        return 0;
    }

    static TextEncoder of(Embedder embedder) {
        return new TextEncoder() {
            @Override
            public float[][] encode(List<String> texts) {
                return embedder.encode(texts);
            }

            @Override
            public long truncated() {
                return embedder.truncation().truncated();
            }
        };
    }
}
