package dev.winnow.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.winnow.api.data.Candidate;
import dev.winnow.api.data.QueryRecord;
import dev.winnow.api.data.RowOrigin;
import dev.winnow.api.loss.InBatchNegativesLoss;
import dev.winnow.api.loss.RankingLoss;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Parameter;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.data.Group;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.run.RerankerStep;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.core.text.TruncationCounter;
import dev.winnow.core.train.TrainLoop;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.rankinglosses.CachedMnrl;
import dev.winnow.rankinglosses.Mnrl;
import dev.winnow.templates.PairTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mnrl and cached_mnrl through {@link RerankerStep} on a tiny BERT cross-encoder: the in-batch rows are laid out as
 * sentence-transformers' cross-encoder MultipleNegativesRankingLoss builds them, and GradCache over the pairs gives
 * mnrl's loss and every parameter's gradient.
 */
class MnrlRerankerStepTest {
    static final String[] TOPICS = {"volcano", "piano", "glacier", "satellite", "bakery"};

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** Five queries with 0, 1 or 2 hard negatives each: rows of different widths. */
    static List<Group> groups() {
        List<Group> groups = new ArrayList<>();
        for (int q = 0; q < TOPICS.length; q++) {
            List<Candidate> c = new ArrayList<>();
            c.add(new Candidate("p", "the " + TOPICS[q] + " answer", 1, null));
            for (int n = 0; n < q % 3; n++) {
                c.add(new Candidate("n" + n, "filler text number " + n + " on " + TOPICS[(q + 1) % 5], 0, null));
            }
            QueryRecord r = new QueryRecord("q" + q, "what about the " + TOPICS[q], c, null, new RowOrigin("mem", q + 1));
            groups.add(new Group(r, c));
        }
        return groups;
    }

    @Test
    void cachedMnrlGivesMnrlsLossAndGradients(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        Mnrl mnrl = new Mnrl(3, 10.0, Mnrl.Activation.SIGMOID);
        float[][] plain = lossAndGradients(model, mnrl, groups());
        // chunks of 4 pairs: 5 rows of 4 to 6 pairs make 24 pairs, so 6 chunks, the rows split across them
        float[][] cached = lossAndGradients(model, new CachedMnrl(mnrl, 4), groups());
        assertTrue(plain[0][0] > 0.1, "a loss: " + plain[0][0]);
        assertEquals(plain[0][0], cached[0][0], 1e-5, "loss");
        int nonZero = 0;
        for (int i = 1; i < plain.length; i++) {
            float scale = 0;
            for (float v : plain[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
            nonZero += scale > 0 ? 1 : 0;
            assertArrayEquals(plain[i], cached[i], 1e-4f * Math.max(scale, 1e-3f), "gradient " + i);
        }
        assertTrue(nonZero > plain.length / 2, "gradients reach the parameters: " + nonZero + " of " + (plain.length - 1));
    }

    /** A loss that records the rows it is given (and is mnrl otherwise). */
    static final class Recording implements InBatchNegativesLoss {
        final int numNegatives;
        float[][] scores;
        float[][] labels;
        float[][] mask;

        Recording(int numNegatives) {
            this.numNegatives = numNegatives;
        }

        @Override
        public int numNegatives() {
            return numNegatives;
        }

        @Override
        public NDArray compute(NDArray s, NDArray l, NDArray m) {
            scores = rows(s);
            labels = rows(l);
            mask = rows(m);
            return new Mnrl(numNegatives, 10.0, Mnrl.Activation.SIGMOID).compute(s, l, m);
        }

        static float[][] rows(NDArray a) {
            int rows = (int) a.getShape().get(0);
            float[] flat = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            float[][] out = new float[rows][];
            int width = flat.length / rows;
            for (int r = 0; r < rows; r++) {
                out[r] = java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width);
            }
            return out;
        }
    }

    /**
     * Row a: the positive, then numNegatives distinct documents of the other queries (never a's own), then a's hard
     * negatives; labels 1 then 0; padding after. The scores tell the documents apart: every (query, document) pair is
     * scored once more through the grouped layout (a plain loss sees each group as it is).
     */
    @Test
    void inBatchRowsArePositiveThenDrawnDocumentsThenOwnHardNegatives(@TempDir Path dir) throws IOException {
        Path model = EndToEndRerankerTest.tinyBert(dir.resolve("tiny-bert"));
        List<Group> groups = groups();
        Recording recording = new Recording(3);
        lossAndGradients(model, recording, groups);
        // every query against every candidate of the micro-batch, in the grouped layout
        List<Group> all = new ArrayList<>();
        List<Candidate> everything = groups.stream().flatMap(g -> g.candidates().stream()).toList();
        for (Group g : groups) {
            all.add(new Group(g.source(), everything));
        }
        Recording grouped = new Recording(0);
        RankingLoss plain = (s, l, m) -> {
            grouped.scores = Recording.rows(s);
            return s.sum();
        };
        lossAndGradients(model, plain, all);
        for (int a = 0; a < groups.size(); a++) {
            Group g = groups.get(a);
            int own = g.size() - 1;
            float[] row = recording.scores[a];
            int real = 0;
            for (float v : recording.mask[a]) {
                real += (int) v;
            }
            assertEquals(1 + 3 + own, real, "row " + a + " width");
            assertEquals(1f, recording.labels[a][0]);
            for (int c = 1; c < real; c++) {
                assertEquals(0f, recording.labels[a][c], "row " + a + " label " + c);
            }
            int offset = everything.indexOf(g.candidates().get(0));
            assertEquals(grouped.scores[a][offset], row[0], 1e-5, "row " + a + ": its positive first");
            for (int n = 0; n < own; n++) {
                assertEquals(grouped.scores[a][offset + 1 + n], row[1 + 3 + n], 1e-5, "row " + a + ": own hard negative " + n + " last");
            }
            List<Integer> drawn = new ArrayList<>();
            for (int c = 1; c <= 3; c++) {
                int match = -1;
                for (int j = 0; j < everything.size(); j++) {
                    boolean ownCandidate = j >= offset && j < offset + g.size();
                    if (!ownCandidate && Math.abs(grouped.scores[a][j] - row[c]) < 1e-5) {
                        match = j;
                    }
                }
                assertTrue(match >= 0, "row " + a + " entry " + c + " is another query's candidate");
                assertTrue(!drawn.contains(match), "row " + a + ": drawn without replacement");
                drawn.add(match);
            }
        }
    }

    /** The loss and every parameter's gradient after one backward through the step as the training loop runs it. */
    static float[][] lossAndGradients(Path dir, RankingLoss loss, List<Group> groups) {
        try (NDManager manager = NDManager.newBaseManager(); HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(ModelDirectory.of(dir), "auto",
                    ModelOptions.of(Task.RERANKER).withNormalize(false).withSeed(3), manager);
            for (Parameter p : model.parameters().all()) {
                p.array().setRequiresGradient(true);
            }
            RerankerStep step = new RerankerStep(dev.winnow.core.infer.TextModel.of(model, tokenizer, 32),
                    new PairTemplate(Truncation.ONLY_SECOND), loss, "mnrl", new TruncationCounter());
            List<float[]> out = new ArrayList<>();
            Engine.getInstance().setRandomSeed(11); // the same in-batch draws for both runs
            try (NDManager scope = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                TrainLoop.StepLoss sl = step.loss(groups, scope);
                out.add(new float[] {sl.loss().getFloat()});
                if (sl.backward() != null) {
                    sl.backward().run(gc, 1f);
                } else {
                    gc.backward(sl.loss());
                }
            }
            for (Parameter p : model.parameters().all()) {
                NDArray g = p.array().getGradient();
                out.add(g.flatten().toFloatArray());
            }
            return out.toArray(new float[0][]);
        }
    }
}
