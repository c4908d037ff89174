package dev.winnow.core.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.UserException;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.TextTokenizer;
import dev.winnow.api.text.Truncation;
import dev.winnow.nn.engine.WinnowEngine;
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
 * {@code model_max_length}, {@code padding_side} (else tokenizer.json's padding direction), the pad token (from
 * {@code special_tokens_map.json} too) and {@code add_bos_token}/{@code add_eos_token} (a bos/eos the
 * post-processor does not already add is added around encodings with special tokens).
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
    private final Map<String, Long> tokenIds;
    /** Added in front of an encoding with special tokens when add_bos_token asks and the post-processor did not. */
    private final @Nullable Long addBos;
    /** Added at the end likewise for add_eos_token. */
    private final @Nullable Long addEos;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int modelMaxLength, boolean padLeft, long padId,
            Map<String, Long> tokenIds, @Nullable Long addBos, @Nullable Long addEos) {
        this.tokenizer = tokenizer;
        this.modelMaxLength = modelMaxLength;
        this.padLeft = padLeft;
        this.padId = padId;
        this.tokenIds = tokenIds;
        this.addBos = addBos;
        this.addEos = addEos;
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
        JsonNode tokenizerJson = readJson(file);
        long max = config.path("model_max_length").isNumber() ? (long) config.path("model_max_length").asDouble() : UNLIMITED + 1;
        int modelMax = max > UNLIMITED ? Integer.MAX_VALUE : (int) max;
        String side = config.path("padding_side").asText("");
        if (!side.isEmpty() && !side.equals("left") && !side.equals("right")) {
            throw new UserException(modelDir.resolve("tokenizer_config.json") + ": padding_side is '" + side
                    + "'; valid values are 'left' and 'right'");
        }
        boolean left = side.isEmpty()
                ? "left".equalsIgnoreCase(tokenizerJson.path("padding").path("direction").asText("right"))
                : side.equals("left");
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
        HfTokenizer out = new HfTokenizer(tok, modelMax, left, 0, vocabulary(tokenizerJson), null, null);
        long pad = padToken == null ? out.paddingFromTokenizerJson(tokenizerJson) : out.tokenId(padToken).orElse(0L);
        Long bos = config.path("add_bos_token").asBoolean(false) ? out.specialId(config, specials, "bos_token") : null;
        Long eos = config.path("add_eos_token").asBoolean(false) ? out.specialId(config, specials, "eos_token") : null;
        return new HfTokenizer(tok, modelMax, left, pad, out.tokenIds, bos, eos);
    }

    @Override
    public Encoded encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        return addSpecialTokens ? withBosEos(e.getIds(), e.getTypeIds(), false) : new Encoded(e.getIds(), e.getTypeIds(), false);
    }

    /** Adds the bos/eos that add_bos_token/add_eos_token ask for, where the post-processor did not already. */
    private Encoded withBosEos(long[] ids, long[] types, boolean truncated) {
        boolean front = addBos != null && (ids.length == 0 || ids[0] != addBos);
        boolean back = addEos != null && (ids.length == 0 || ids[ids.length - 1] != addEos);
        if (!front && !back) {
            return new Encoded(ids, types, truncated);
        }
        int n = ids.length + (front ? 1 : 0) + (back ? 1 : 0);
        long[] outIds = new long[n];
        long[] outTypes = new long[n];
        int off = front ? 1 : 0;
        System.arraycopy(ids, 0, outIds, off, ids.length);
        System.arraycopy(types, 0, outTypes, off, types.length);
        if (front) {
            outIds[0] = addBos;
            outTypes[0] = types.length > 0 ? types[0] : 0;
        }
        if (back) {
            outIds[n - 1] = addEos;
            outTypes[n - 1] = types.length > 0 ? types[types.length - 1] : 0;
        }
        return new Encoded(outIds, outTypes, truncated);
    }

    private int bosEosCount(long[] ids) {
        int n = 0;
        if (addBos != null && (ids.length == 0 || ids[0] != addBos)) {
            n++;
        }
        if (addEos != null && (ids.length == 0 || ids[ids.length - 1] != addEos)) {
            n++;
        }
        return n;
    }

    private @Nullable Long specialId(JsonNode config, JsonNode specials, String key) {
        String token = tokenText(config.has(key) ? config.get(key) : specials.get(key));
        if (token == null) {
            return null;
        }
        OptionalLong id = tokenId(token);
        return id.isPresent() ? id.getAsLong() : null;
    }

    /**
     * Encodes a pair with the model's special tokens and cuts it to {@code maxLength} the way Hugging Face
     * tokenizers do: {@code ONLY_SECOND} shortens the document; {@code LONGEST_FIRST} cuts as {@link #longestFirst}
     * describes. Special tokens are never cut. When even the special tokens
     * and the query leave no room, the query is cut too (never silently: the result says it was truncated).
     */
    @Override
    public Encoded encodePair(String first, String second, int maxLength, Truncation truncation) {
        Encoding pair = tokenizer.encode(first, second, true, false);
        long[] ids = pair.getIds();
        int extra = bosEosCount(ids);
        if (ids.length + extra <= maxLength) {
            return withBosEos(ids, pair.getTypeIds(), false);
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
        int room = maxLength - extra - (ids.length - lenA - lenB);
        if (room < 0) {
            room = 0;
        }
        int keepA;
        int keepB;
        if (truncation == Truncation.ONLY_SECOND && lenA <= room) {
            keepA = lenA;
            keepB = room - lenA;
        } else {
            int[] kept = longestFirst(lenA, lenB, room);
            keepA = kept[0];
            keepB = kept[1];
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
        return withBosEos(Arrays.copyOf(outIds, n), Arrays.copyOf(outTypes, n), true);
    }

    /**
     * Kept lengths of the two segments under {@code longest_first}, as the Rust tokenizers library computes them:
     * the shorter segment stays whole if it fits in half the room and the longer takes the rest; otherwise the
     * shorter keeps half the room rounded down and the longer the other half rounded up (the second on a tie).
     */
    static int[] longestFirst(int lenA, int lenB, int room) {
        if (lenA + lenB <= room) {
            return new int[] {lenA, lenB};
        }
        boolean swap = lenA > lenB;
        int n1 = swap ? lenB : lenA;
        int n2 = n1 > room ? n1 : Math.max(n1, room - n1);
        if (n1 + n2 > room) {
            n1 = room / 2;
            n2 = n1 + room % 2;
        }
        return new int[] {Math.min(lenA, swap ? n2 : n1), Math.min(lenB, swap ? n1 : n2)};
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

    /**
     * The ids of a generative reranker template's answer tokens.
     *
     * @throws UserException when either is not a single token of this vocabulary
     */
    public dev.winnow.api.model.AnswerTokenIds answerTokenIds(dev.winnow.api.text.AnswerTokens answers) {
        return new dev.winnow.api.model.AnswerTokenIds(single(answers.positiveToken()), single(answers.negativeToken()));
    }

    private long single(String token) {
        return tokenId(token).orElseThrow(() -> new UserException("the tokenizer has no single token '" + token + "'"));
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
        return new HfTokenizer(tokenizer, modelMaxLength, left, padId, tokenIds, addBos, addEos);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private long paddingFromTokenizerJson(JsonNode root) {
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

    /** Token to id as convert_tokens_to_ids sees it: the model's vocabulary and the added tokens. */
    private static Map<String, Long> vocabulary(JsonNode root) {
        Map<String, Long> vocab = new ConcurrentHashMap<>();
        JsonNode v = root.path("model").path("vocab");
        if (v.isObject()) {
            v.fields().forEachRemaining(entry -> vocab.put(entry.getKey(), entry.getValue().asLong()));
        } else if (v.isArray()) { // Unigram: [[piece, score], ...], the id is the position
            for (int i = 0; i < v.size(); i++) {
                vocab.put(v.get(i).path(0).asText(), (long) i);
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            vocab.put(added.path("content").asText(), added.path("id").asLong());
        }
        return vocab;
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
