package dev.winnow.templates;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.HfTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TemplatesTest {
    static HfTokenizer qwen;

    @BeforeAll
    static void load() {
        qwen = HfTokenizer.load(TestResources.qwen3TokenizerDir());
    }

    @AfterAll
    static void close() {
        qwen.close();
    }

    static final Qwen3RerankerTemplate QWEN = new Qwen3RerankerTemplate(new Qwen3RerankerTemplate.Config(null, "yes", "no"));

    @Test
    void qwen3TokenizerFactsFromTheModelCard() {
        assertEquals(9693, qwen.tokenId("yes").orElseThrow());
        assertEquals(2152, qwen.tokenId("no").orElseThrow());
        assertEquals(151643, qwen.padId()); // <|endoftext|>
        assertEquals(39, qwen.encode(Qwen3RerankerTemplate.PREFIX, false).ids().length);
        assertEquals(9, qwen.encode(Qwen3RerankerTemplate.SUFFIX, false).ids().length);
    }

    @Test
    void rendersTheOfficialPromptExactly() {
        TemplateInput in = new TemplateInput("What is the capital of China?", "The capital of China is Beijing.", null);
        assertEquals("<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the "
                + "Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
                + "<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n"
                + "<Query>: What is the capital of China?\n<Document>: The capital of China is Beijing.<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\n", QWEN.text(in));
        Encoded e = QWEN.render(in, qwen, 8192);
        assertFalse(e.truncated());
        long[] prefix = qwen.encode(Qwen3RerankerTemplate.PREFIX, false).ids();
        long[] suffix = qwen.encode(Qwen3RerankerTemplate.SUFFIX, false).ids();
        long[] body = qwen.encode(Qwen3RerankerTemplate.body(Qwen3RerankerTemplate.DEFAULT_INSTRUCTION, in.query(), in.document()), false).ids();
        assertArrayEquals(prefix, Arrays.copyOf(e.ids(), 39));
        assertArrayEquals(suffix, Arrays.copyOfRange(e.ids(), e.ids().length - 9, e.ids().length));
        assertArrayEquals(body, Arrays.copyOfRange(e.ids(), 39, e.ids().length - 9));
        // the known ids of the chat markers: <|im_start|> 151644 opens, and the suffix opens the assistant turn
        assertEquals(151644, e.ids()[0]);
        assertEquals(151645, suffix[0]); // <|im_end|>
        assertEquals(qwen.decode(e.ids()), QWEN.text(in));
    }

    @Test
    void rowInstructionWinsOverTheRecipesWhichWinsOverTheDefault() {
        var custom = new Qwen3RerankerTemplate(new Qwen3RerankerTemplate.Config("Find code", "yes", "no"));
        assertTrue(custom.text(new TemplateInput("q", "d", null)).contains("<Instruct>: Find code\n"));
        assertTrue(custom.text(new TemplateInput("q", "d", "Row rule")).contains("<Instruct>: Row rule\n"));
    }

    @Test
    void truncationCutsTheDocumentThenTheQueryAndNeverTheSuffix() {
        String query = "which river flows through the city that hosted the first modern olympic games";
        String doc = "Athens hosted the first modern Olympic Games in 1896. ".repeat(40);
        long[] suffix = qwen.encode(Qwen3RerankerTemplate.SUFFIX, false).ids();
        for (int max = 74; max <= 400; max += 11) {
            Encoded e = QWEN.render(new TemplateInput(query, doc, null), qwen, max);
            assertTrue(e.ids().length <= max, "length " + e.ids().length + " > " + max);
            assertTrue(e.truncated());
            assertArrayEquals(suffix, Arrays.copyOfRange(e.ids(), e.ids().length - 9, e.ids().length), "suffix at max " + max);
            String text = qwen.decode(e.ids());
            if (max >= 120) {
                assertTrue(text.contains("<Query>: " + query + "\n<Document>: Athens"), "query kept whole at " + max);
            }
        }
        // so short that the query must be cut too: the template stays whole
        Encoded tight = QWEN.render(new TemplateInput(query, doc, null), qwen, 80);
        String text = qwen.decode(tight.ids());
        assertTrue(text.endsWith("<Document>: <|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"), text);
        UserException e = assertThrows(UserException.class, () -> QWEN.render(new TemplateInput(query, doc, null), qwen, 50));
        assertTrue(e.getMessage().startsWith("max_length 50 leaves no room for the Qwen3-Reranker prompt"), e.getMessage());
    }

    /** Every max length from the bare template up to past the full prompt: suffix intact, cut text a prefix. */
    @Test
    void everyMaxLengthKeepsTheSuffixAndCutsFromTheEnd() {
        String query = "which rivers flow through more than three countries in central europe";
        String document = "The Danube is Europe's second-longest river. ".repeat(12) + "Ünïcödé 河流 🌊 end.";
        TemplateInput input = new TemplateInput(query, document, null);
        long[] suffix = qwen.encode(Qwen3RerankerTemplate.SUFFIX, false).ids();
        int full = QWEN.render(input, qwen, Integer.MAX_VALUE).ids().length;
        String instruction = Qwen3RerankerTemplate.DEFAULT_INSTRUCTION;
        int bare = 48 + qwen.encode(Qwen3RerankerTemplate.body(instruction, "", ""), false).ids().length;
        int withQuery = 48 + qwen.encode(Qwen3RerankerTemplate.body(instruction, query, ""), false).ids().length;
        assertTrue(full - withQuery > 100 && withQuery - bare > 8, full + " " + withQuery + " " + bare);
        for (int max = bare; max <= full + 3; max++) {
            Encoded e = QWEN.render(input, qwen, max);
            long[] ids = e.ids();
            String where = "max_length " + max;
            assertTrue(ids.length <= max, where);
            assertEquals(full > max, e.truncated(), where);
            assertArrayEquals(suffix, Arrays.copyOfRange(ids, ids.length - 9, ids.length), where);
            String text = qwen.decode(ids);
            assertTrue(text.startsWith(Qwen3RerankerTemplate.PREFIX + "<Instruct>: " + instruction + "\n<Query>: "), where);
            String rest = text.substring(text.indexOf("\n<Query>: ") + 10, text.length() - Qwen3RerankerTemplate.SUFFIX.length());
            if (max >= withQuery) {
                assertTrue(rest.startsWith(query + "\n<Document>: "), where); // the query is whole
                assertTrue(document.startsWith(rest.substring((query + "\n<Document>: ").length())), where);
            } else {
                assertTrue(rest.endsWith("\n<Document>: "), where); // no document, the query cut from its end
                assertTrue(query.startsWith(rest.substring(0, rest.indexOf("\n<Document>: "))), where);
            }
            if (e.truncated()) {
                assertTrue(ids.length >= max - 4, where + ": only " + ids.length + " tokens used"); // cut tightly
            }
        }
    }

    @Test
    void longDocumentIsCutTightlyAndQuickly() {
        String document = "Rerankers score a query against each candidate passage; ".repeat(1000); // 57k chars
        TemplateInput input = new TemplateInput("what do rerankers do", document, null);
        QWEN.render(input, qwen, 512);
        int rows = 10;
        long start = System.nanoTime();
        Encoded e = null;
        for (int i = 0; i < rows; i++) {
            e = QWEN.render(input, qwen, 512);
        }
        System.out.printf("qwen3-reranker: a 57k-character document cut to 512 tokens in %.1f ms per row%n",
                (System.nanoTime() - start) / 1e6 / rows);
        long[] ids = e.ids();
        assertTrue(e.truncated());
        assertTrue(ids.length <= 512 && ids.length >= 508, "length " + ids.length);
        String text = qwen.decode(ids);
        String kept = text.substring(text.indexOf("<Document>: ") + 12, text.length() - Qwen3RerankerTemplate.SUFFIX.length());
        assertTrue(document.startsWith(kept) && kept.length() > 1000, kept);
    }

    @Test
    void pairTemplateUsesTheTokenizersPairEncoding() {
        try (HfTokenizer bert = HfTokenizer.load(TestResources.miniLmTokenizerDir())) {
            Encoded e = new PairTemplate(Truncation.ONLY_SECOND).render(new TemplateInput("a query", "a document", "ignored"), bert, 128);
            assertEquals("[CLS] a query [SEP] a document [SEP]", bert.decode(e.ids()));
        }
    }
}
