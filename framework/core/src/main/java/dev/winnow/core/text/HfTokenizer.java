package dev.winnow.core.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TextTokenizer;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.engine.WinnowEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json}) read through DJL, honouring {@code tokenizer_config.json}:
 * {@code model_max_length}, {@code padding_side} and the pad token (from {@code special_tokens_map.json} too).
 *
 * <p>DJL's own truncation and padding are switched off: Winnow truncates itself so that every cut is counted
 * and {@code only_second} / {@code longest_first} behave exactly as in Hugging Face tokenizers, keeping the
 * special tokens. Loading is local only; DJL's offline switches are set by {@link WinnowEngine}. Encoding is
 * safe from several threads (the native tokenizer is immutable after construction); closing is not.
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** tokenizer_config.json writes "unlimited" as a huge number (1e30); anything above this means no limit. */
    private static final long UNLIMITED = 1_000_000_000L;

    private final HuggingFaceTokenizer tokenizer;
    private final int modelMaxLength;
    private final boolean padLeft;
    private final long padId;
    private final Map<String, Long> tokenIds = new ConcurrentHashMap<>();

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int modelMaxLength, boolean padLeft, long padId) {
        this.tokenizer = tokenizer;
        this.modelMaxLength = modelMaxLength;
        this.padLeft = padLeft;
        this.padId = padId;
    }

    /** Loads {@code tokenizer.json} and the configs beside it from a model directory. */
    public static HfTokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new UserException(modelDir + " has no tokenizer.json (Winnow reads the fast-tokenizer file that "
                    + "Hugging Face models ship)");
        }
        WinnowEngine.configureOffline();
        JsonNode config = readJson(modelDir.resolve("tokenizer_config.json"));
        JsonNode specials = readJson(modelDir.resolve("special_tokens_map.json"));
        long max = config.path("model_max_length").isNumber() ? (long) config.path("model_max_length").asDouble() : UNLIMITED + 1;
        int modelMax = max > UNLIMITED ? Integer.MAX_VALUE : (int) max;
        boolean left = "left".equals(config.path("padding_side").asText("right"));
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "true");
        options.put("truncation", "false");
        options.put("padding", "false");
        options.put("modelMaxLength", Integer.toString(Integer.MAX_VALUE - 1));
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            throw new UserException(file + " cannot be loaded as a Hugging Face tokenizer: " + e.getMessage());
        }
        String padToken = tokenText(config.get("pad_token"));
        if (padToken == null) {
            padToken = tokenText(specials.get("pad_token"));
        }
        HfTokenizer out = new HfTokenizer(tok, modelMax, left, 0);
        long pad = padToken == null ? out.paddingFromTokenizerJson(file) : out.tokenId(padToken).orElse(0L);
        return new HfTokenizer(tok, modelMax, left, pad);
    }

    @Override
    public Encoded encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        return new Encoded(e.getIds(), e.getTypeIds(), false);
    }

    /**
     * Encodes a pair with the model's special tokens and cuts it to {@code maxLength} the way Hugging Face
     * tokenizers do: {@code ONLY_SECOND} shortens the document; {@code LONGEST_FIRST} gives the shorter segment
     * up to half of the room and the longer the rest. Special tokens are never cut. When even the special tokens
     * and the query leave no room, the query is cut too (never silently: the result says it was truncated).
     */
    @Override
    public Encoded encodePair(String first, String second, int maxLength, Truncation truncation) {
        Encoding pair = tokenizer.encode(first, second, true, false);
        long[] ids = pair.getIds();
        if (ids.length <= maxLength) {
            return new Encoded(ids, pair.getTypeIds(), false);
        }
        long[] sequence = pair.getSequenceIds();
        long[] special = pair.getSpecialTokenMask();
        int lenA = 0;
        int lenB = 0;
        for (int i = 0; i < ids.length; i++) {
            if (special[i] == 0) {
                if (sequence[i] == 0) {
                    lenA++;
                } else {
                    lenB++;
                }
            }
        }
        int room = maxLength - (ids.length - lenA - lenB);
        if (room < 0) {
            room = 0;
        }
        int keepA;
        int keepB;
        if (truncation == Truncation.ONLY_SECOND && lenA <= room) {
            keepA = lenA;
            keepB = room - lenA;
        } else {
            // longest first: the shorter keeps up to half the room, the longer the rest (ties favour the first)
            if (lenA >= lenB) {
                keepB = Math.min(lenB, room / 2);
                keepA = Math.min(lenA, room - keepB);
            } else {
                keepA = Math.min(lenA, room / 2);
                keepB = Math.min(lenB, room - keepA);
            }
        }
        long[] typeIds = pair.getTypeIds();
        long[] outIds = new long[ids.length];
        long[] outTypes = new long[ids.length];
        int n = 0;
        int seenA = 0;
        int seenB = 0;
        for (int i = 0; i < ids.length; i++) {
            if (special[i] == 0) {
                if (sequence[i] == 0 && seenA++ >= keepA) {
                    continue;
                }
                if (sequence[i] != 0 && seenB++ >= keepB) {
                    continue;
                }
            }
            outIds[n] = ids[i];
            outTypes[n] = typeIds[i];
            n++;
        }
        return new Encoded(Arrays.copyOf(outIds, n), Arrays.copyOf(outTypes, n), true);
    }

    @Override
    public OptionalLong tokenId(String token) {
        Long cached = tokenIds.get(token);
        if (cached != null) {
            return OptionalLong.of(cached);
        }
        Encoding e = tokenizer.encode(token, false, false);
        if (e.getIds().length != 1) {
            return OptionalLong.empty();
        }
        tokenIds.put(token, e.getIds()[0]);
        return OptionalLong.of(e.getIds()[0]);
    }

    @Override
    public long padId() {
        return padId;
    }

    @Override
    public boolean padLeft() {
        return padLeft;
    }

    @Override
    public int modelMaxLength() {
        return modelMaxLength;
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids, false);
    }

    /** The same tokenizer with the other padding side (recipes and templates may require one). */
    public HfTokenizer withPadLeft(boolean left) {
        return new HfTokenizer(tokenizer, modelMaxLength, left, padId);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private long paddingFromTokenizerJson(Path file) {
        JsonNode root = readJson(file);
        JsonNode padding = root.path("padding");
        if (padding.has("pad_id")) {
            return padding.get("pad_id").asLong();
        }
        for (String candidate : new String[] {"[PAD]", "<pad>", "<|endoftext|>"}) {
            OptionalLong id = tokenId(candidate);
            if (id.isPresent()) {
                return id.getAsLong();
            }
        }
        return 0;
    }

    private static @Nullable String tokenText(@Nullable JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        return node.has("content") ? node.get("content").asText() : null;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserException(file + " is not valid JSON: " + e.getMessage());
        }
    }
}
