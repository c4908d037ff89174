package dev.winnow.api.text;

import java.util.OptionalLong;

/** A tokenizer as templates see it. */
public interface TextTokenizer {
    Encoded encode(String text, boolean addSpecialTokens);

    /** Encodes a pair with the model's special tokens, cut to {@code maxLength} by {@code truncation}. */
    Encoded encodePair(String first, String second, int maxLength, Truncation truncation);

    OptionalLong tokenId(String token);

    long padId();

    boolean padLeft();

    int modelMaxLength();

    String decode(long[] ids);
}
