package dev.winnow.templates;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.WinnowException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TemplateInput;
import dev.winnow.core.testing.TestResources;
import dev.winnow.core.text.HfTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedding templates on the real MiniLM (BERT) and Qwen3 tokenizers. */
class EmbeddingTemplatesTest {
    static HfTokenizer qwen;
    static HfTokenizer bert;

    static final Qwen3EmbeddingTemplate QWEN = new Qwen3EmbeddingTemplate(new Qwen3EmbeddingTemplate.Config(
            Qwen3EmbeddingTemplate.DEFAULT_INSTRUCTION, "<|endoftext|>"));
    static final TextEmbeddingTemplate BGE = new TextEmbeddingTemplate(new TextEmbeddingTemplate.Config(
            "Represent this sentence for searching relevant passages: ", "", "{instruction}{query}"));

    @BeforeAll
    static void load() {
        qwen = HfTokenizer.load(TestResources.qwen3TokenizerDir());
        bert = HfTokenizer.load(TestResources.miniLmTokenizerDir());
    }

    @AfterAll
    static void close() {
        qwen.close();
        bert.close();
    }

    @Test
    void qwen3QueriesCarryTheOfficialInstructionFormatAndEveryTextEndsWithEndOfText() {
        Encoded q = QWEN.query("what is a comet", null, qwen, 512);
        assertEquals("Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:what is a comet<|endoftext|>",
                qwen.decode(q.ids()));
        assertEquals(151643, q.ids()[q.ids().length - 1]);
        Encoded own = QWEN.query("what is a comet", "Find astronomy facts", qwen, 512);
        assertEquals("Instruct: Find astronomy facts\nQuery:what is a comet<|endoftext|>", qwen.decode(own.ids()));
        Encoded d = QWEN.document("A comet is an icy body.", qwen, 512);
        assertEquals("A comet is an icy body.<|endoftext|>", qwen.decode(d.ids()));
        assertEquals("Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:", QWEN.queryPrompt());
        assertEquals("<|endoftext|>", QWEN.closingToken());
    }

    @Test
    void truncationCutsTheBodyAndKeepsTheClosingToken() {
        String doc = "word ".repeat(300);
        Encoded d = QWEN.document(doc, qwen, 64);
        assertEquals(64, d.ids().length);
        assertTrue(d.truncated());
        assertEquals(151643, d.ids()[63]);
        Encoded b = BGE.document(doc, bert, 32);
        assertEquals(32, b.ids().length);
        assertEquals("[CLS]", bert.decode(new long[] {b.ids()[0]}));
        assertEquals("[SEP]", bert.decode(new long[] {b.ids()[31]}));
        assertTrue(b.truncated());
        assertFalse(BGE.document("short", bert, 32).truncated());
        assertThrows(UserException.class, () -> QWEN.document(doc, qwen, 1));
    }

    @Test
    void textTemplatePutsThePromptBeforeQueriesOnlyAndARowInstructionReplacesIt() {
        assertEquals("[CLS] represent this sentence for searching relevant passages : what is a comet [SEP]",
                bert.decode(BGE.query("what is a comet", null, bert, 128).ids()));
        assertEquals("[CLS] astronomy : what is a comet [SEP]", bert.decode(BGE.query("what is a comet", "astronomy: ", bert, 128).ids()));
        assertEquals("[CLS] a comet is icy [SEP]", bert.decode(BGE.document("a comet is icy", bert, 128).ids()));
        Encoded plain = bert.encode("a comet is icy", true);
        assertArrayEquals(plain.ids(), BGE.document("a comet is icy", bert, 128).ids());
        assertTrue(Arrays.stream(BGE.document("a comet is icy", bert, 128).typeIds()).allMatch(t -> t == 0));
    }

    @Test
    void embeddingTemplatesRefusePairsAndBadFormats() {
        assertThrows(WinnowException.class, () -> QWEN.render(new TemplateInput("q", "d", null), qwen, 64));
        UserException e = assertThrows(UserException.class,
                () -> new TextEmbeddingTemplate(new TextEmbeddingTemplate.Config("", "", "{query}")));
        assertTrue(e.getMessage().contains("{instruction}"), e.getMessage());
    }
}
