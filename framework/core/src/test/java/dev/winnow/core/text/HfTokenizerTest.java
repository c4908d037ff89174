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
import dev.winnow.nn.engine.WinnowEngine;
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
    void longestFirstByHand() {
        assertArrayEquals(new int[] {3, 4}, HfTokenizer.longestFirst(3, 4, 10));
        assertArrayEquals(new int[] {3, 5}, HfTokenizer.longestFirst(3, 10, 8)); // only the longer is cut
        assertArrayEquals(new int[] {5, 5}, HfTokenizer.longestFirst(10, 5, 10));
        assertArrayEquals(new int[] {4, 3}, HfTokenizer.longestFirst(6, 5, 7)); // the longer keeps the odd token
        assertArrayEquals(new int[] {3, 4}, HfTokenizer.longestFirst(5, 5, 7)); // on a tie, the second keeps it
        assertArrayEquals(new int[] {2, 3}, HfTokenizer.longestFirst(20, 40, 5));
        assertArrayEquals(new int[] {0, 0}, HfTokenizer.longestFirst(6, 5, 0));
    }

    /** Random pairs, ties included, at many max lengths: exactly the Rust tokenizer's own truncation. */
    @Test
    void randomPairsMatchTheRustTruncation() throws IOException {
        java.util.Random random = new java.util.Random(7);
        String[] words = {"alpha", "beta", "gamma", "delta", "reranking", "tokenizer", "x", "the", "of", "1234"};
        int compared = 0;
        int refused = 0;
        try (HfTokenizer tok = HfTokenizer.load(bert)) {
            for (Truncation t : Truncation.values()) {
                for (int max : new int[] {8, 9, 12, 13, 20, 31, 64}) {
                    try (HuggingFaceTokenizer reference = HuggingFaceTokenizer.newInstance(bert.resolve("tokenizer.json"),
                            Map.of("truncation", t == Truncation.ONLY_SECOND ? "ONLY_SECOND" : "LONGEST_FIRST",
                                    "maxLength", Integer.toString(max), "padding", "false"))) {
                        for (int trial = 0; trial < 25; trial++) {
                            int na = 1 + random.nextInt(trial % 5 == 0 ? 4 : 30);
                            String a = sentence(random, words, na);
                            String b = trial % 3 == 0 ? a.replace("x", "the") : sentence(random, words, 1 + random.nextInt(40));
                            Encoded actual = tok.encodePair(a, b, max, t);
                            String where = t + " max " + max + " a=" + a + " b=" + b;
                            Encoding expected;
                            try {
                                expected = reference.encode(a, b);
                            } catch (RuntimeException e) {
                                assertTrue(e.getMessage().contains("too short"), e.getMessage());
                                assertEquals(Truncation.ONLY_SECOND, t, where);
                                assertTrue(actual.truncated() && actual.ids().length == max, where);
                                refused++;
                                continue;
                            }
                            assertArrayEquals(expected.getIds(), actual.ids(), where);
                            assertArrayEquals(expected.getTypeIds(), actual.typeIds(), where);
                            assertEquals(tok.encodePair(a, b, 100_000, t).ids().length > max, actual.truncated(), where);
                            compared++;
                        }
                    }
                }
            }
        }
        assertEquals(350, compared + refused);
        assertTrue(compared > 250, "compared " + compared);
    }

    private static String sentence(java.util.Random random, String[] words, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
        }
        return sb.toString();
    }

    @Test
    void paddingSideFromTokenizerJsonAndBosEosFromTheConfig(@TempDir Path dir) throws IOException {
        Files.copy(bert.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"padding_side\": \"middle\"}");
        dev.winnow.api.UserException bad = org.junit.jupiter.api.Assertions.assertThrows(
                dev.winnow.api.UserException.class, () -> HfTokenizer.load(dir));
        assertTrue(bad.getMessage().contains("padding_side"), bad.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"[unused0]\", \"add_bos_token\": true,"
                + " \"eos_token\": {\"content\": \"[SEP]\"}, \"add_eos_token\": true}");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            // [unused0] (id 1) is added in front; [SEP] already ends the encoding, so no second one
            assertArrayEquals(new long[] {1, 101, 7592, 102}, tok.encode("hello", true).ids());
            assertArrayEquals(new long[] {7592}, tok.encode("hello", false).ids());
            Encoded pair = tok.encodePair("hello", "world wide web", 6, Truncation.ONLY_SECOND);
            assertArrayEquals(new long[] {1, 101, 7592, 102, 2088, 102}, pair.ids());
            assertTrue(pair.truncated());
            assertFalse(tok.padLeft()); // no padding_side: tokenizer.json's padding direction (Right)
        }
        Files.delete(dir.resolve("tokenizer_config.json"));
        String json = Files.readString(dir.resolve("tokenizer.json")).replace("\"direction\":\"Right\"", "\"direction\":\"Left\"")
                .replace("\"direction\": \"Right\"", "\"direction\": \"Left\"");
        Files.writeString(dir.resolve("tokenizer.json"), json);
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertTrue(tok.padLeft());
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
