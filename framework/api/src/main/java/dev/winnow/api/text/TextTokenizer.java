package dev.winnow.api.text;

import dev.winnow.api.UserException;
import java.util.Arrays;
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

    /**
     * One text with the tokenizer's own special tokens plus an optional closing token, within {@code maxLength}:
     * only the text's body is cut, so leading and trailing special tokens and the closing token always survive (a
     * pooled {@code [SEP]} or {@code <|endoftext|>} is what last-token pooling reads).
     *
     * @param closing a token id appended unless the encoding already ends with it; negative for none
     */
    default Encoded encodeSingle(String text, long closing, int maxLength) {
        long[] full = encode(text, true).ids();
        long[] plain = encode(text, false).ids();
        int lead = indexOf(full, plain);
        if (lead < 0) { // a normaliser changed the body: treat it all as body
            lead = 0;
            plain = full;
        }
        int trail = full.length - lead - plain.length;
        boolean addClosing = closing >= 0 && (full.length == 0 || full[full.length - 1] != closing);
        int fixed = lead + trail + (addClosing ? 1 : 0);
        int keep = plain.length;
        boolean truncated = false;
        if (fixed + keep > maxLength) {
            if (maxLength <= fixed) {
                throw new UserException("model.max_length " + maxLength + " leaves no room for text after " + fixed
                        + " special token(s); raise max_length");
            }
            keep = maxLength - fixed;
            truncated = true;
        }
        long[] ids = new long[fixed + keep];
        System.arraycopy(full, 0, ids, 0, lead);
        System.arraycopy(plain, 0, ids, lead, keep);
        System.arraycopy(full, lead + plain.length, ids, lead + keep, trail);
        if (addClosing) {
            ids[ids.length - 1] = closing;
        }
        return new Encoded(ids, new long[ids.length], truncated);
    }

    private static int indexOf(long[] haystack, long[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
