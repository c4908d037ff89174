package dev.winnow.gemma;

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
 * FlagEmbedding's decoder-only reranker input (FlagLLMReranker, bge-reranker-v2-gemma): the tokenizer's leading
 * special tokens ({@code <bos>}), {@code A: {query}}, {@code \n}, {@code B: {passage}}, {@code \n}, the prompt. Each
 * piece is encoded on its own without special tokens, as FlagEmbedding does. The query is cut to its own budget and
 * the passage to its own, token-wise from the end as the Hugging Face tokenizer truncates; when the whole still
 * exceeds {@code model.max_length} the passage is cut further, then the query. The prompt is never cut: the score is
 * read at its last token.
 */
public final class FlagLlmRerankerTemplate implements PromptTemplate, AnswerTokens {
    static final String DEFAULT_PROMPT = "Given a query A and a passage B, determine whether the passage contains an answer "
            + "to the query by providing a prediction of either 'Yes' or 'No'.";

    /** Recipe keys of {@code template: {type: flag-llm-reranker}}. */
    @Doc("FlagEmbedding's LLM reranker input: <bos>A: {query}\\nB: {passage}\\n{prompt}; the prompt is never cut")
    public record Config(
            @Doc("the instruction after the pair (default: FlagEmbedding's Yes/No prompt); a row's instruction wins")
                    @Nullable String prompt,
            @Doc("tokens of 'A: {query}' kept (FlagEmbedding's query_max_len; default: 3/4 of model.max_length)")
                    @Nullable Integer queryMaxLength,
            @Doc("tokens of 'B: {passage}' kept (FlagEmbedding's passage_max_len; default: what model.max_length leaves)")
                    @Nullable Integer passageMaxLength,
            @Doc("token whose logit at the last position is the score") @Default("Yes") String positiveToken,
            @Doc("the opposite answer (not read by the score, which is logit(positive) alone)") @Default("No") String negativeToken) {
        public Config {
            if (queryMaxLength != null && queryMaxLength < 1) {
                throw new UserException("template.query_max_length must be at least 1, found " + queryMaxLength);
            }
            if (passageMaxLength != null && passageMaxLength < 1) {
                throw new UserException("template.passage_max_length must be at least 1, found " + passageMaxLength);
            }
        }
    }

    private final Config config;

    public FlagLlmRerankerTemplate(Config config) {
        this.config = config;
    }

    String prompt(TemplateInput input) {
        if (input.instruction() != null && !input.instruction().isBlank()) {
            return input.instruction();
        }
        return config.prompt() != null ? config.prompt() : DEFAULT_PROMPT;
    }

    /** The whole input as text, after the leading special tokens (for display and tests). */
    public String text(TemplateInput input) {
        return "A: " + input.query() + "\nB: " + input.document() + "\n" + prompt(input);
    }

    @Override
    public Encoded render(TemplateInput input, TextTokenizer tokenizer, int maxLength) {
        long[] lead = tokenizer.encode("", true).ids(); // <bos> (FlagEmbedding prepends bos_token_id)
        long[] sep = tokenizer.encode("\n", false).ids();
        long[] prompt = tokenizer.encode(prompt(input), false).ids();
        int fixed = lead.length + 2 * sep.length + prompt.length;
        if (fixed >= maxLength) {
            throw new UserException("model.max_length " + maxLength + " leaves no room for the query and passage after the "
                    + fixed + " tokens of the prompt and separators; raise max_length or shorten template.prompt");
        }
        int queryBudget = config.queryMaxLength() != null ? config.queryMaxLength() : maxLength * 3 / 4;
        boolean[] cut = new boolean[1];
        long[] query = encodeCut(tokenizer, "A: ", input.query(), queryBudget, cut);
        int passageBudget = config.passageMaxLength() != null ? config.passageMaxLength() : maxLength;
        long[] passage = encodeCut(tokenizer, "B: ", input.document(), passageBudget, cut);
        boolean truncated = cut[0];
        int room = maxLength - fixed;
        if (query.length + passage.length > room) {
            truncated = true;
            int keepPassage = Math.max(0, room - query.length);
            passage = Arrays.copyOf(passage, keepPassage);
            query = Arrays.copyOf(query, Math.min(query.length, room - passage.length));
        }
        long[] ids = new long[fixed + query.length + passage.length];
        int at = 0;
        for (long[] part : new long[][] {lead, query, sep, passage, sep, prompt}) {
            System.arraycopy(part, 0, ids, at, part.length);
            at += part.length;
        }
        return new Encoded(ids, new long[ids.length], truncated);
    }

    /**
     * {@code prefix + text} encoded and cut to {@code budget} tokens. A text far longer than the budget is first
     * encoded as a head of 16 characters per token: when that already overflows, the rest never needs encoding.
     */
    private static long[] encodeCut(TextTokenizer tokenizer, String prefix, String text, int budget, boolean[] cut) {
        long headChars = 16L * budget + 256;
        if (text.length() > headChars) {
            int n = (int) headChars;
            String head = text.substring(0, Character.isHighSurrogate(text.charAt(n - 1)) ? n - 1 : n);
            long[] ids = tokenizer.encode(prefix + head, false).ids();
            if (ids.length > budget) {
                cut[0] = true;
                return Arrays.copyOf(ids, budget);
            }
        }
        long[] ids = tokenizer.encode(prefix + text, false).ids();
        if (ids.length > budget) {
            cut[0] = true;
            return Arrays.copyOf(ids, budget);
        }
        return ids;
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
