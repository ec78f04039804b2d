package dev.winnow.runtime.embedding;

import static dev.winnow.runtime.TestVectors.cosine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.winnow.models.ProgressListener;
import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.download.HttpDownloader;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.maven.MavenArtifactResolver;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle for the converted embedding models: our GGUF through llama.cpp (the runtime) against ONNX Runtime on the
 * original ONNX file, pooled the model's way (mean over all tokens for all-MiniLM-L6-v2, [CLS] for bge-small-en-v1.5),
 * on 50 texts of 3 to 500 tokens and 2 longer ones (truncated to 512 tokens: [CLS], the first 510 pieces, [SEP]).
 * Each cosine must be at least 0.999, and llama.cpp's token ids must equal the reference WordPiece tokenizer's
 * (tokenizer.json without its truncation and padding), except for a word longer than max_input_chars_per_word (100
 * characters): tokenizer.json makes it one [UNK], llama.cpp v0.5.0 splits it into pieces (asserted, so a change is
 * noticed). The embeddings are computed from the reference ids.
 *
 * <p>Needs, as test dependencies of the runtime module: com.microsoft.onnxruntime:onnxruntime and the two
 * dev.langchain4j embedding jars (exclusions *:*), which also put the jars in the local Maven repository.
 */
class OnnxOracleTest {
    static final int MAX_TOKENS = 512;

    @TempDir
    static Path home;

    @Test
    void miniLmMatchesOnnxRuntime() throws Exception {
        check(EmbeddingModelSpec.MINILM);
    }

    @Test
    void bgeSmallMatchesOnnxRuntime() throws Exception {
        check(EmbeddingModelSpec.BGE_SMALL);
    }

    static void check(EmbeddingModelSpec spec) throws Exception {
        Path jar = jarOf(spec.tokenizerEntry());
        Path repo = jar;
        for (int i = 0; i < Path.of(spec.artifact().jarPath()).getNameCount(); i++) {
            repo = repo.getParent();
        }
        EmbeddingModels models = new EmbeddingModels(
                new MavenArtifactResolver(
                        repo,
                        home.resolve("maven"),
                        URI.create("http://127.0.0.1:9/"),
                        new HttpDownloader(ProgressListener.NONE)),
                home.resolve("models"));
        Path gguf = models.ensure(spec.shortName());
        Path onnx = home.resolve(spec.fileName() + ".onnx");
        EmbeddingModels.extract(jar, spec.onnxEntry(), onnx);
        WordPieceTokenizer tok;
        try (ZipFile z = new ZipFile(jar.toFile());
                InputStream in = z.getInputStream(z.getEntry(spec.tokenizerEntry()))) {
            tok = WordPieceTokenizer.read(in, spec.tokenizerEntry());
        }
        List<String> texts = new ArrayList<>(OracleSentences.written());
        texts.addAll(
                OracleSentences.fromSciFact(Path.of(System.getProperty("winnow.shared.dir"), "data", "scifact"), tok));
        assertEquals(52, texts.size());

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(2);
        List<String> report = new ArrayList<>();
        double minCos = 1;
        try (OrtSession ort = env.createSession(onnx.toString(), so);
                Model model = Llama.load().loadModel(gguf);
                Context ctx = model.newContext(ContextOptions.defaults()
                        .withContextSize(MAX_TOKENS)
                        .withBatchSize(MAX_TOKENS)
                        .withUbatchSize(MAX_TOKENS)
                        .withEmbeddings(true, Pooling.MODEL));
                Batch batch = Batch.allocate(MAX_TOKENS, 1)) {
            for (String text : texts) {
                int[] ours = tok.encode(text);
                int[] llama = model.vocabulary().tokenize(text, true, false);
                if (hasOverlongWord(text)) {
                    // llama.cpp v0.5.0's WPM tokenizer ignores max_input_chars_per_word (100): it splits such a word
                    // into
                    // pieces where tokenizer.json gives one [UNK]. Known divergence; embeddings use the reference ids.
                    assertTrue(llama.length > ours.length, "llama.cpp now applies max_input_chars_per_word: " + text);
                } else {
                    assertArrayEquals(ours, llama, () -> "token ids of: " + text);
                }
                int[] ids = tok.encode(text, MAX_TOKENS);
                batch.clear();
                for (int i = 0; i < ids.length; i++) {
                    batch.add(ids[i], i, 0, true);
                }
                ctx.kvCache().clear(true);
                ctx.encode(batch);
                float[] got = ctx.sequenceEmbeddingCopy(0, false);
                float[] want = reference(env, ort, ids, spec.pooling() == Pooling.CLS);
                double cos = cosine(got, want);
                minCos = Math.min(minCos, cos);
                report.add(ours.length + ":" + String.format("%.6f", cos));
                assertTrue(
                        cos >= 0.999,
                        spec.shortName() + ": cosine " + cos + " for a text of " + ours.length + " tokens: " + text);
            }
        }
        System.out.println(spec.shortName() + " min cosine " + minCos + " (tokens:cosine) " + report);
    }

    static float[] reference(OrtEnvironment env, OrtSession ort, int[] ids, boolean cls) throws Exception {
        int n = ids.length;
        long[][] in = new long[1][n];
        long[][] mask = new long[1][n];
        long[][] types = new long[1][n];
        for (int i = 0; i < n; i++) {
            in[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, in);
                OnnxTensor b = OnnxTensor.createTensor(env, mask);
                OnnxTensor c = OnnxTensor.createTensor(env, types);
                OrtSession.Result r = ort.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] h = (float[][][]) r.get(0).getValue(); // last_hidden_state [1, n, d]
            int d = h[0][0].length;
            float[] out = new float[d];
            if (cls) {
                return Arrays.copyOf(h[0][0], d);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    out[j] += h[0][i][j] / n;
                }
            }
            return out;
        }
    }

    static boolean hasOverlongWord(String text) {
        for (String w : text.split("\\s+")) {
            if (w.codePointCount(0, w.length()) > 100) {
                return true;
            }
        }
        return false;
    }

    static Path jarOf(String entry) throws IOException {
        URL url = OnnxOracleTest.class.getClassLoader().getResource(entry);
        if (url == null) {
            throw new IOException(entry + " is not on the test class path (langchain4j test dependency missing?)");
        }
        try {
            return Path.of(
                    ((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }
}
