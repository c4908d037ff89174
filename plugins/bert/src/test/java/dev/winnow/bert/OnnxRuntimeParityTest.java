package dev.winnow.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.text.Encoded;
import dev.winnow.nn.engine.WinnowEngine;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Winnow's BERT forward pass against ONNX Runtime running the original export, on the same token ids. */
class OnnxRuntimeParityTest {
    static final List<String> TEXTS = List.of(
            "Hello world",
            "The quick brown fox jumps over the lazy dog.",
            "Winnow fine-tunes rerankers on the JVM.",
            "What is the capital of France?",
            "Paris is the capital and most populous city of France, with an estimated population of 2,102,650 residents.",
            "a",
            "Transformers use self-attention to relate every token in a sequence to every other token, which lets them "
                    + "model long-range dependencies without recurrence.",
            "How many moons does Jupiter have?",
            "Jupiter has 95 officially recognised moons as of 2023.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "Tokyo",
            "The mitochondrion is the powerhouse of the cell.",
            "Who wrote Pride and Prejudice? Jane Austen published it in 1813, and it remains one of the most popular "
                    + "novels in English literature.",
            "¿Dónde está la biblioteca?",
            "1 2 3 4 5 6 7 8 9 10",
            "Mount Everest, at 8,849 metres, is Earth's highest mountain above sea level.",
            "short");

    @BeforeAll
    static void engine() {
        WinnowEngine.start();
    }

    /** On both kernel paths: the composed reference and the TorchScript kernels. */
    @ParameterizedTest
    @CsvSource({"all-minilm-l6-v2, composed", "all-minilm-l6-v2, torchscript", "bge-small-en-v1.5, composed",
            "bge-small-en-v1.5, torchscript"})
    void lastHiddenStatesAndPooledEmbeddingsEqualOnnxRuntime(String name, String kernels) throws Exception {
        BertFixtures.Imported model = BertFixtures.imported(name);
        try (NDManager m = NDManager.newBaseManager(); HfTokenizer tok = HfTokenizer.load(model.dir())) {
            List<Encoded> encoded = new ArrayList<>();
            for (String t : TEXTS) {
                encoded.add(tok.encode(t, true));
            }
            TokenBatch batch = Batches.pad(encoded, tok.padId(), false, m);
            int rows = TEXTS.size();
            int length = (int) batch.inputIds().getShape().get(1);
            BertModel bert = BertFixtures.load(model.dir(),
                    BertFixtures.embedding("mean").withKernels(KernelMode.parse(kernels), Precision.FP32), m);
            float[] ours = bert.hiddenStates(batch, false).toFloatArray();
            float[] pooled = bert.forward(batch, false).toFloatArray();

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            float[][][] theirs;
            try (OrtSession session = env.createSession(model.onnx().toString(), new OrtSession.SessionOptions())) {
                long[] shape = {rows, length};
                Map<String, OnnxTensor> inputs = Map.of(
                        "input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.inputIds().toLongArray()), shape),
                        "attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.attentionMask().toLongArray()), shape),
                        "token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.tokenTypeIds().toLongArray()), shape));
                try (OrtSession.Result result = session.run(inputs)) {
                    theirs = (float[][][]) result.get(0).getValue();
                }
                inputs.values().forEach(OnnxTensor::close);
            }
            long[] mask = batch.attentionMask().toLongArray();
            int hidden = theirs[0][0].length;
            double maxDiff = 0;
            int compared = 0;
            for (int r = 0; r < rows; r++) {
                double[] meanTheirs = new double[hidden];
                int real = 0;
                for (int t = 0; t < length; t++) {
                    if (mask[r * length + t] == 0) {
                        continue; // padded positions are masked out, in both runtimes
                    }
                    real++;
                    for (int h = 0; h < hidden; h++) {
                        float a = ours[(r * length + t) * hidden + h];
                        maxDiff = Math.max(maxDiff, Math.abs(a - theirs[r][t][h]));
                        meanTheirs[h] += theirs[r][t][h];
                        compared++;
                    }
                }
                double dot = 0;
                double norm = 0;
                for (int h = 0; h < hidden; h++) {
                    meanTheirs[h] /= real;
                    dot += meanTheirs[h] * pooled[r * hidden + h];
                    norm += meanTheirs[h] * meanTheirs[h];
                }
                double cosine = dot / Math.sqrt(norm); // ours is L2-normalised
                assertEquals(1.0, cosine, 1e-5, "pooled embedding cosine, text " + r);
            }
            assertTrue(compared > rows * hidden * 5);
            assertTrue(maxDiff < 1e-4, name + " (" + kernels + "): max abs difference " + maxDiff);
        }
    }
}
