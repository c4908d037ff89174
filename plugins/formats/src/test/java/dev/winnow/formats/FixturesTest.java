package dev.winnow.formats;

import static dev.winnow.formats.TestRows.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.data.DatasetFormat;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import dev.winnow.core.data.NoPositive;
import dev.winnow.core.data.OnBadRow;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Each format on its committed fixture, read end to end by the core reader. */
class FixturesTest {
    static Path fixture(String name) {
        try {
            return Path.of(Objects.requireNonNull(FixturesTest.class.getResource("/formats/" + name)).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Dataset read(DatasetFormat format, String name, DatasetReader.Options options) {
        return new DatasetReader(format, options).readAll(List.of(fixture(name)));
    }

    private static Dataset read(DatasetFormat format, String name) {
        return read(format, name, DatasetReader.Options.evaluation());
    }

    @Test
    void mteb() {
        Dataset data = read(new MtebFormat(new MtebFormat.Config("qid")), "mteb.jsonl");
        assertEquals(3, data.records().size());
        assertEquals(3, data.report().rowsRead());
        assertEquals(List.of("mteb.jsonl:1", "m2", "mteb.jsonl:4"), data.records().stream().map(QueryRecord::id).toList());
        assertEquals(4, data.records().get(0).candidates().size());
        assertEquals(List.of("m2#0|The Moon orbits about 384,000 kilometres from Earth on average.|1",
                "m2#1|The Moon has no atmosphere to speak of.|0"), show(data.records().get(1)));
        assertEquals("vg", data.records().get(2).candidates().get(0).id());
    }

    @Test
    void flagEmbedding() {
        Dataset data = read(new FlagEmbeddingFormat(new FlagEmbeddingFormat.Config("qid", true, false)),
                "flagembedding.jsonl");
        QueryRecord first = data.records().get(0);
        assertEquals("Given a query A and a passage B, decide whether B answers A.", first.instruction());
        assertEquals(List.of(9.5, 1.25, 4.0), first.candidates().stream().map(c -> c.teacherScore()).toList());
        QueryRecord second = data.records().get(1);
        assertNull(second.instruction());
        assertEquals(1, second.positives().size());
        assertEquals(3, second.negatives().size());
        assertTrue(second.candidates().stream().allMatch(c -> c.teacherScore() == null));
    }

    @Test
    void swift() {
        Dataset data = read(new SwiftFormat(new SwiftFormat.Config("qid")), "swift.jsonl");
        QueryRecord reranker = data.records().get(0);
        assertEquals("how many legs does a spider have", reranker.query());
        assertEquals("Judge whether the passage answers the question.", reranker.instruction());
        assertEquals(List.of("swift.jsonl:1#0|Spiders have eight legs.|1", "swift.jsonl:1#1|Insects have six legs.|0",
                "swift.jsonl:1#2|Spiders spin silk from spinnerets.|0"), show(reranker));
        assertEquals(List.of("swift.jsonl:2#0|a puppy sprinting across the sand|0.9"), show(data.records().get(1)));
    }

    @Test
    void swiftLegacy() {
        Dataset data = read(new SwiftLegacyFormat(new SwiftLegacyFormat.Config("qid")), "swift_legacy.jsonl");
        assertEquals(3, data.records().get(0).candidates().size());
        assertEquals(List.of("swift_legacy.jsonl:2#0|someone plays a stringed instrument|0.75"),
                show(data.records().get(1)));
    }

    @Test
    void pairs() {
        Dataset data = read(new PairsFormat(new PairsFormat.Config("query", "document", "label", "qid", "doc_id", null)),
                "pairs.jsonl");
        assertEquals(4, data.records().size());
        assertEquals(List.of("pairs.jsonl:2#0|Toronto is the largest city in Canada.|0"), show(data.records().get(1)));
        assertEquals("p1", data.records().get(1).id());
        assertEquals("c-light", data.records().get(2).candidates().get(0).id());
        assertEquals(1, data.report().withoutPositive());
        // For training, the negative-only pair is counted and skipped.
        Dataset training = read(new PairsFormat(new PairsFormat.Config("query", "document", "label", "qid", "doc_id", null)),
                "pairs.jsonl", DatasetReader.Options.training());
        assertEquals(3, training.records().size());
        assertEquals(1, training.report().withoutPositiveSkipped());
        // Merged, the two rows about Canada's capital become one query with a positive and a negative.
        Dataset merged = read(new PairsFormat(new PairsFormat.Config("query", "document", "label", "qid", "doc_id", null)),
                "pairs.jsonl", DatasetReader.Options.training().withMergeSameQuery(true));
        assertEquals(3, merged.records().size());
        assertEquals(List.of("pairs.jsonl:1#0|Ottawa is the capital city of Canada.|1",
                "pairs.jsonl:2#0|Toronto is the largest city in Canada.|0"),
                show(merged.records().get(0)));
    }

    @Test
    void labelledListFromAJsonArray() {
        Dataset data = read(new LabelledListFormat(LabelledListFormatTest.DEFAULTS), "labelled_list.json");
        assertEquals(List.of(2L, 11L), data.records().stream().map(r -> r.origin().line()).toList());
        assertEquals(List.of("L1-a|The lungs exchange oxygen and carbon dioxide.|0",
                "L1-b|The heart pumps blood through the body.|2", "L1-c|The liver filters toxins from the blood.|0"),
                show(data.records().get(0)));
        assertEquals(List.of("L2#0|Bees make honey from flower nectar.|1", "L2#1|Wasps can sting more than once.|0"),
                show(data.records().get(1)));
    }

    @Test
    void wikiQaShapeThroughFields() {
        FieldsFormat format = new FieldsFormat(FieldsFormatTest.documents("qid", "docs[].text", "docs[].label", "docs[].id"));
        Dataset data = read(format, "wikiqa-like.jsonl", DatasetReader.Options.training());
        assertEquals(List.of("w-0", "w-2"), data.records().stream().map(QueryRecord::id).toList());
        assertEquals(1, data.report().withoutPositive());
        assertEquals(List.of(fixture("wikiqa-like.jsonl") + ":2"), data.report().firstWithoutPositive());
        assertEquals("w-0-1", data.records().get(0).positives().get(0).id());
        assertEquals(5, data.report().candidates());
    }

    @Test
    void badRowsStopWithFileAndLine() {
        DatasetFormat format = new LabelledListFormat(LabelledListFormatTest.DEFAULTS);
        UserException e = assertThrows(UserException.class, () -> read(format, "bad-rows.jsonl"));
        assertTrue(e.getMessage().startsWith(fixture("bad-rows.jsonl") + ":2: malformed JSON: "), e.getMessage());
    }

    @Test
    void badRowsSkippedAreCountedWithTheirPlaces() {
        DatasetFormat format = new LabelledListFormat(LabelledListFormatTest.DEFAULTS);
        Dataset data = read(format, "bad-rows.jsonl", new DatasetReader.Options(OnBadRow.SKIP, NoPositive.SKIP));
        String file = fixture("bad-rows.jsonl").toString();
        assertEquals(List.of("b1", "b5"), data.records().stream().map(QueryRecord::id).toList());
        assertEquals(5, data.report().rowsRead());
        assertEquals(3, data.report().badRowsSkipped());
        List<String> bad = data.report().firstBadRows();
        assertTrue(bad.get(0).startsWith(file + ":2: malformed JSON: "), bad.get(0));
        assertEquals(file + ":3: row has no 'query' field (path 'query'); fields present: qid, docs", bad.get(1));
        assertEquals(file + ":4: 'docs[0].label' is an array; expected a number label (or true/false)", bad.get(2));
        assertEquals(6, data.records().get(1).origin().line());
    }
}
