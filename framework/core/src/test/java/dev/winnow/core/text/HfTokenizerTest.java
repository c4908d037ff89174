package dev.winnow.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.engine.WinnowEngine;
import dev.winnow.core.testing.TestResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    static Path bert;

    @BeforeAll
    static void setUp() {
        WinnowEngine.configureOffline();
        bert = TestResources.miniLmTokenizerDir();
    }

    static final List<String[]> PAIRS = List.of(
            new String[] {"what is the capital of france", "Paris is the capital and most populous city of France, with an estimated population of two million."},
            new String[] {"a very long query that goes on and on about many different things in the world of science and art", "short doc"},
            new String[] {"how tall is mount everest above sea level today", "Mount Everest is Earth's highest mountain above sea level, located in the Himalayas."});

    @Test
    void pairTruncationMatchesHuggingFaceTokenizers() throws IOException {
        try (HfTokenizer tok = HfTokenizer.load(bert)) {
            for (String[] p : PAIRS) {
                for (int max = 12; max <= 40; max += 3) {
                    for (Truncation t : Truncation.values()) {
                        String mode = t == Truncation.ONLY_SECOND ? "ONLY_SECOND" : "LONGEST_FIRST";
                        try (HuggingFaceTokenizer reference = HuggingFaceTokenizer.newInstance(bert.resolve("tokenizer.json"),
                                Map.of("truncation", mode, "maxLength", Integer.toString(max), "padding", "false"))) {
                            Encoded actual = tok.encodePair(p[0], p[1], max, t);
                            Encoding expected;
                            try {
                                expected = reference.encode(p[0], p[1]);
                            } catch (RuntimeException e) {
                                // only_second with a query longer than max_length: HF refuses; Winnow falls back to
                                // longest_first and still reports the cut
                                assertTrue(e.getMessage().contains("too short"), e.getMessage());
                                assertEquals(t, Truncation.ONLY_SECOND);
                                assertTrue(actual.truncated() && actual.ids().length == max);
                                continue;
                            }
                            assertArrayEquals(expected.getIds(), actual.ids(), mode + " max " + max + " " + p[0]);
                            assertArrayEquals(expected.getTypeIds(), actual.typeIds(), mode + " types");
                            assertEquals(tok.encodePair(p[0], p[1], 10_000, t).ids().length > max, actual.truncated());
                        }
                    }
                }
            }
        }
    }

    @Test
    void bertSpecialsAndShortPairsAreUntouched() {
        try (HfTokenizer tok = HfTokenizer.load(bert)) {
            Encoded e = tok.encodePair("hello", "world", 128, Truncation.ONLY_SECOND);
            assertEquals("[CLS] hello [SEP] world [SEP]", tok.decode(e.ids()));
            assertArrayEquals(new long[] {0, 0, 0, 1, 1}, e.typeIds());
            assertFalse(e.truncated());
            assertEquals(0, tok.padId()); // [PAD] in BERT's vocabulary
            assertFalse(tok.padLeft());
        }
    }

    @Test
    void tokenizerConfigSetsMaxLengthPaddingSideAndPadToken(@TempDir Path dir) throws IOException {
        Files.copy(bert.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"model_max_length\": 256, \"padding_side\": \"left\", \"pad_token\": \"[SEP]\"}");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertEquals(256, tok.modelMaxLength());
            assertTrue(tok.padLeft());
            assertEquals(102, tok.padId()); // [SEP]
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1e30}");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertEquals(Integer.MAX_VALUE, tok.modelMaxLength());
        }
    }

    @Test
    void paddingOnEitherSideAndLengthSortedBatches() {
        WinnowEngine.start();
        List<Encoded> inputs = List.of(new Encoded(new long[] {5, 6}, new long[] {0, 1}, false),
                new Encoded(new long[] {7, 8, 9}, new long[] {0, 0, 1}, false), new Encoded(new long[] {4}, new long[] {0}, false));
        try (NDManager m = NDManager.newBaseManager()) {
            TokenBatch right = Batches.pad(inputs, 0, false, m);
            assertArrayEquals(new long[] {5, 6, 0, 7, 8, 9, 4, 0, 0}, right.inputIds().toLongArray());
            assertArrayEquals(new long[] {1, 1, 0, 1, 1, 1, 1, 0, 0}, right.attentionMask().toLongArray());
            assertArrayEquals(new long[] {0, 1, 0, 0, 0, 1, 0, 0, 0}, right.tokenTypeIds().toLongArray());
            TokenBatch left = Batches.pad(inputs, 99, true, m);
            assertArrayEquals(new long[] {99, 5, 6, 7, 8, 9, 99, 99, 4}, left.inputIds().toLongArray());
            assertArrayEquals(new long[] {0, 1, 1, 1, 1, 1, 0, 0, 1}, left.attentionMask().toLongArray());
        }
        List<int[]> batches = Batches.byLength(inputs, 2);
        assertArrayEquals(new int[] {1, 0}, batches.get(0));
        assertArrayEquals(new int[] {2}, batches.get(1));
        TruncationCounter c = new TruncationCounter();
        c.record(true);
        c.record(false);
        assertEquals("1 of 2 inputs (50.0%) were truncated to max_length 128", c.report(128));
    }
}
