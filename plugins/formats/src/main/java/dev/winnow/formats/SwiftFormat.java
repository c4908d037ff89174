package dev.winnow.formats;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowException;
import dev.winnow.api.data.RowOrigin;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * ms-swift's current (v3.9+, v4) reranker and embedding rows:
 *
 * <pre>{@code
 * {"messages": [{"role": "system", "content": "instruction"}?, {"role": "user", "content": "query"}],
 *  "positive_messages": [[{"role": "assistant", "content": "pos1"}], ...],
 *  "negative_messages": [[{"role": "assistant", "content": "neg1"}], ...],
 *  "label": 0.8?}
 * }</pre>
 *
 * The query is the last user message of {@code messages}; each entry of {@code positive_messages} and
 * {@code negative_messages} is one document, the content of its last user or assistant message. A system message
 * becomes the instruction, one inside the document lists first, as ms-swift orders them. An embedding row's
 * {@code label} (a similarity, or 0/1 for contrastive losses) becomes the positives' label. Multimodal rows are
 * refused rather than read without their images.
 */
public final class SwiftFormat implements DatasetFormat {
    /** Options of the {@code swift} format. */
    @Doc("ms-swift rows {messages, positive_messages[[...]], negative_messages[[...]], label?}")
    public record Config(
            @Doc("field holding the query id; rows without it get <file>:<line>") @Default("qid") String idField) {}

    private static final List<String> MEDIA = List.of("images", "videos", "audios", "positive_images",
            "negative_images", "positive_videos", "negative_videos", "positive_audios", "negative_audios");

    private final Config config;

    public SwiftFormat(Config config) {
        this.config = config;
    }

    @Override
    public List<QueryRecord> convert(Map<String, ?> row, RowOrigin origin) {
        for (String media : MEDIA) {
            if (row.get(media) instanceof List<?> list && !list.isEmpty()) {
                throw new RowException("'" + media + "' holds media; multimodal rows are not supported");
            }
        }
        if (!row.containsKey("messages")) {
            throw Rows.missing(row, "", "messages", "array of {role, content}");
        }
        Messages query = messages(row.get("messages"), "messages");
        if (query.user == null) {
            throw new RowException("'messages' has no message with role 'user' (the query)");
        }
        if (query.user.isBlank()) {
            throw new RowException("'messages' has an empty user message");
        }
        if (!row.containsKey("positive_messages")) {
            throw Rows.missing(row, "", "positive_messages", "array of message arrays");
        }
        String id = Rows.queryId(Rows.optionalId(row, config.idField()), origin);
        Candidates candidates = new Candidates(id);
        String[] documentSystem = new String[1];
        double positiveLabel = row.get("label") == null ? 1 : Rows.label(row.get("label"), "label");
        documents(row.get("positive_messages"), "positive_messages", positiveLabel, candidates, documentSystem);
        if (row.get("negative_messages") != null) {
            documents(row.get("negative_messages"), "negative_messages", 0, candidates, documentSystem);
        }
        String instruction = documentSystem[0] != null ? documentSystem[0] : query.system;
        return List.of(new QueryRecord(id, query.user, candidates.list(), instruction, origin));
    }

    private static void documents(
            @Nullable Object value, String where, double label, Candidates candidates, String[] system) {
        if (!(value instanceof List<?> entries)) {
            throw Rows.wrongType(where, value, "an array of message arrays");
        }
        for (int i = 0; i < entries.size(); i++) {
            String at = where + "[" + i + "]";
            Object entry = entries.get(i);
            // Tolerate a bare message object for a one-message document.
            Messages doc = messages(entry instanceof Map<?, ?> ? List.of(entry) : entry, at);
            if (doc.last == null) {
                throw new RowException("'" + at + "' has no user or assistant message (the document)");
            }
            if (doc.system != null) {
                if (system[0] != null && !system[0].equals(doc.system)) {
                    throw new RowException("'" + at + "' has a system message different from an earlier"
                            + " document's; Winnow takes one instruction per query");
                }
                system[0] = doc.system;
            }
            candidates.add(new Rows.Doc(doc.last, null), label, null);
        }
    }

    /** The system text, the last user text and the last user-or-assistant text of a message list. */
    private record Messages(@Nullable String system, @Nullable String user, @Nullable String last) {}

    @SuppressWarnings("unchecked")
    private static Messages messages(@Nullable Object value, String where) {
        if (!(value instanceof List<?> list)) {
            throw Rows.wrongType(where, value, "an array of {role, content} messages");
        }
        String system = null;
        String user = null;
        String last = null;
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> map)) {
                throw Rows.wrongType(at, list.get(i), "a {role, content} message");
            }
            Map<String, ?> message = (Map<String, ?>) map;
            if (!(message.get("role") instanceof String role)) {
                throw message.containsKey("role")
                        ? Rows.wrongType(at + ".role", message.get("role"), "a string")
                        : Rows.missing(message, at, "role", "string");
            }
            String content = content(message, at);
            switch (role) {
                case "system" -> system = content;
                case "user" -> {
                    user = content;
                    last = content;
                }
                case "assistant" -> last = content;
                default -> throw new RowException("'" + at + ".role' is '" + role
                        + "'; expected system, user or assistant");
            }
        }
        return new Messages(system, user, last);
    }

    /** A message's text: a string, or OpenAI-style parts [{type: text, text}] joined. */
    private static String content(Map<String, ?> message, String at) {
        if (!message.containsKey("content")) {
            throw Rows.missing(message, at, "content", "string");
        }
        Object content = message.get("content");
        if (content instanceof String s) {
            return s;
        }
        if (content instanceof List<?> parts) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < parts.size(); i++) {
                String partAt = at + ".content[" + i + "]";
                if (!(parts.get(i) instanceof Map<?, ?> part) || !"text".equals(part.get("type"))
                        || !(part.get("text") instanceof String t)) {
                    throw new RowException("'" + partAt + "' is not a {type: text, text} part; only text content"
                            + " is supported");
                }
                text.append(t);
            }
            return text.toString();
        }
        throw Rows.wrongType(at + ".content", content, "a string");
    }
}
