package dev.winnow.templates;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.text.AnswerTokens;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.text.TextTokenizer;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The official Qwen3-Reranker prompt: a system turn asking for "yes" or "no", the user turn
 * {@code <Instruct>: ...\n<Query>: ...\n<Document>: ...}, and the assistant turn opened with an empty think
 * block. As in the official code, the prefix and the suffix are encoded on their own, without special tokens,
 * around the encoded body.
 *
 * <p>Unlike plain right truncation (which cuts the suffix, so the model no longer sees where to answer), the
 * template is always whole: when the body does not fit, the document text is cut first, then the query text,
 * and the body is encoded again.
 */
public final class Qwen3RerankerTemplate implements PromptTemplate, AnswerTokens {
    static final String PREFIX = "<|im_start|>system\nJudge whether the Document meets the requirements based on the "
            + "Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
            + "<|im_start|>user\n";
    static final String SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
    static final String DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query";

    /** Recipe keys of {@code template: {type: qwen3-reranker}}. */
    @Doc("the official Qwen3-Reranker prompt; the document is cut before the query, the suffix never")
    public record Config(
            @Doc("instruction when a row has none (default: the official web-search instruction)") @Nullable String instruction,
            @Doc("token whose logit scores relevance") @Default("yes") String positiveToken,
            @Doc("token whose logit scores irrelevance") @Default("no") String negativeToken) {}

    private final Config config;

    public Qwen3RerankerTemplate(Config config) {
        this.config = config;
    }

    /** The body text for one pair, before tokenisation. */
    static String body(String instruction, String query, String document) {
        return "<Instruct>: " + instruction + "\n<Query>: " + query + "\n<Document>: " + document;
    }

    /** The whole prompt as text (for display and tests). */
    public String text(TemplateInput input) {
        return PREFIX + body(instruction(input), input.query(), input.document()) + SUFFIX;
    }

    String instruction(TemplateInput input) {
        if (input.instruction() != null && !input.instruction().isBlank()) {
            return input.instruction();
        }
        return config.instruction() != null ? config.instruction() : DEFAULT_INSTRUCTION;
    }

    @Override
    public Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength) {
        long[] prefix = tokenizer.encode(PREFIX, false).ids();
        long[] suffix = tokenizer.encode(SUFFIX, false).ids();
        int room = maxLength - prefix.length - suffix.length;
        String instruction = instruction(input);
        String query = input.query();
        // A long document is first tried as a head of 16 characters per token of room: when even that overflows,
        // the cut lies inside it and the rest of the document never needs encoding.
        String document = input.document();
        long headLimit = 16L * Math.max(room, 0) + 256;
        long[] body = null;
        if (document.length() > headLimit) {
            int headChars = (int) headLimit;
            String head = document.substring(0, Character.isHighSurrogate(document.charAt(headChars - 1))
                    ? headChars - 1 : headChars);
            long[] headBody = tokenizer.encode(body(instruction, query, head), false).ids();
            if (headBody.length > room) {
                document = head;
                body = headBody;
            }
        }
        if (body == null) {
            body = tokenizer.encode(body(instruction, query, document), false).ids();
        }
        boolean truncated = false;
        if (body.length > room) {
            truncated = true;
            long[] noDocument = tokenizer.encode(body(instruction, query, ""), false).ids();
            if (noDocument.length <= room) {
                body = longestFitting(document, room, noDocument, body,
                        d -> tokenizer.encode(body(instruction, query, d), false).ids());
            } else {
                long[] bare = tokenizer.encode(body(instruction, "", ""), false).ids();
                if (bare.length > room) {
                    throw new UserException("max_length " + maxLength + " leaves no room for the Qwen3-Reranker "
                            + "prompt (" + (prefix.length + suffix.length) + " tokens of template and " + bare.length
                            + " of instruction); raise model.max_length");
                }
                body = longestFitting(query, room, bare, noDocument,
                        q -> tokenizer.encode(body(instruction, q, ""), false).ids());
            }
        }
        long[] ids = new long[prefix.length + body.length + suffix.length];
        System.arraycopy(prefix, 0, ids, 0, prefix.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        System.arraycopy(suffix, 0, ids, prefix.length + body.length, suffix.length);
        return new Encoded(ids, new long[ids.length], truncated);
    }

    /**
     * The encoded body for the longest cut of {@code text} (whole code points, from its end) that fits in
     * {@code room} tokens; {@code empty} (the body with the text cut away) fits and {@code whole} does not. The text
     * is cut, not its tokens, so the kept text is tokenized exactly as a shorter input would be and never ends in
     * half a character. Bisection starts from a bracket around where the text's tokens run out, so the texts
     * encoded are about room-sized, not as long as the whole text.
     */
    private static long[] longestFitting(
            String text, int room, long[] empty, long[] whole, Function<String, long[]> encodeBody) {
        int points = text.codePointCount(0, text.length());
        IntFunction<String> cut = n -> text.substring(0, text.offsetByCodePoints(0, n));
        int lo = 0; // fits
        int hi = points; // does not fit
        long[] best = empty;
        long estimate = (long) points * (room - empty.length) / Math.max(1, whole.length - empty.length);
        int[] probes = {(int) Math.min(points, estimate + estimate / 4 + 8), (int) Math.max(0, estimate - estimate / 4)};
        for (int probe : probes) {
            if (probe > lo && probe < hi) {
                long[] ids = encodeBody.apply(cut.apply(probe));
                if (ids.length <= room) {
                    lo = probe;
                    best = ids;
                } else {
                    hi = probe;
                }
            }
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            long[] ids = encodeBody.apply(cut.apply(mid));
            if (ids.length <= room) {
                lo = mid;
                best = ids;
            } else {
                hi = mid;
            }
        }
        return best;
    }

    @Override
    public String positiveToken() {
        return config.positiveToken();
    }

    @Override
    public String negativeToken() {
        return config.negativeToken();
    }
}
