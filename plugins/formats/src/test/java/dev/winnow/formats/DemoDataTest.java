package dev.winnow.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.core.data.Dataset;
import dev.winnow.core.data.DatasetReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The quickstart's demo data (examples/data) reads with labelled_list defaults and keeps its promises. */
class DemoDataTest {
    private static Path examples() {
        Path root = Path.of(System.getProperty("winnow.repo.root", "../.."));
        Path data = root.resolve("examples/data");
        assertTrue(Files.isDirectory(data), "no examples/data under " + root.toAbsolutePath());
        return data;
    }

    private static Dataset read(String name) {
        return new DatasetReader(new LabelledListFormat(LabelledListFormatTest.DEFAULTS), DatasetReader.Options.evaluation())
                .readAll(List.of(examples().resolve(name)));
    }

    @Test
    void demoTrainAndDevAreCleanAndDisjoint() {
        Dataset train = read("demo-rerank-train.jsonl");
        Dataset dev = read("demo-rerank-dev.jsonl");
        assertEquals(120, train.records().size());
        assertEquals(40, dev.records().size());
        Set<String> trainTexts = new HashSet<>();
        for (Dataset data : List.of(train, dev)) {
            assertEquals(0, data.report().withoutPositive());
            assertEquals(0, data.report().negativesSameAsPositive());
            int firstPosition = 0;
            for (QueryRecord r : data.records()) {
                assertEquals(1, r.positives().size(), r.id());
                int negatives = r.negatives().size();
                assertTrue(negatives >= 5 && negatives <= 7, r.id() + " has " + negatives + " negatives");
                firstPosition += r.candidates().get(0).positive() ? 1 : 0;
                if (data == train) {
                    trainTexts.add(r.query());
                    r.candidates().forEach(c -> trainTexts.add(c.text()));
                } else {
                    assertTrue(!trainTexts.contains(r.query()), r.query());
                    for (Candidate c : r.candidates()) {
                        assertTrue(!trainTexts.contains(c.text()), "in both splits: " + c.text());
                    }
                }
            }
            // The answer's position is random, not always first (file order must not leak relevance).
            assertTrue(firstPosition < data.records().size() / 3, "answers first in " + firstPosition);
        }
    }
}
