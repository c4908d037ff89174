package dev.winnow.templates;

import dev.winnow.api.UserException;
import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.text.AnswerTokens;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.PromptTemplate;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.text.TextTokenizer;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The official Qwen3-Reranker prompt: a system turn asking for "yes" or "no", the user turn
 * {@code <Instruct>: ...\n<Query>: ...\n<Document>: ...}, and the assistant turn opened with an empty think
 * block. As in the official code, the prefix and the suffix are encoded on their own, without special tokens,
 * around the encoded body.
 *
 * <p>Unlike plain right truncation (which cuts the suffix, so the model no longer sees where to answer), the
 * template is always whole: when the body does not fit, the document is cut first, then the query.
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
        long[] body = tokenizer.encode(body(instruction, input.query(), input.document()), false).ids();
        boolean truncated = false;
        if (body.length > room) {
            truncated = true;
            long[] fitted = fit(tokenizer, instruction, input.query(), input.document(), room, true);
            if (fitted == null) {
                fitted = fit(tokenizer, instruction, input.query(), "", room, false);
            }
            if (fitted == null) {
                throw new UserException("max_length " + maxLength + " leaves no room for the Qwen3-Reranker prompt ("
                        + (prefix.length + suffix.length) + " tokens of template and "
                        + tokenizer.encode(body(instruction, "", ""), false).ids().length
                        + " of instruction); raise model.max_length");
            }
            body = fitted;
        }
        long[] ids = new long[prefix.length + body.length + suffix.length];
        System.arraycopy(prefix, 0, ids, 0, prefix.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        System.arraycopy(suffix, 0, ids, prefix.length + body.length, suffix.length);
        return new Encoded(ids, new long[ids.length], truncated);
    }

    /**
     * The longest cut of the document (cutDocument) or of the query (document already empty) whose body fits in
     * {@code room} tokens, found by binary search over the cut text's token count; null when even an empty cut
     * does not fit.
     */
    private static long @Nullable [] fit(
            TextTokenizer tokenizer, String instruction, String query, String document, int room, boolean cutDocument) {
        long[] pieceIds = tokenizer.encode(cutDocument ? document : query, false).ids();
        int lo = 0;
        int hi = pieceIds.length;
        long[] best = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            String piece = mid == 0 ? "" : tokenizer.decode(Arrays.copyOf(pieceIds, mid));
            long[] body = tokenizer.encode(cutDocument ? body(instruction, query, piece) : body(instruction, piece, document), false).ids();
            if (body.length <= room) {
                best = body;
                lo = mid + 1;
            } else {
                hi = mid - 1;
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
