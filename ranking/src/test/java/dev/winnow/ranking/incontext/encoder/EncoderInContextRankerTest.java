package dev.winnow.ranking.incontext.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.attention.Attention;
import dev.winnow.runtime.attention.AttentionInputs;
import dev.winnow.runtime.attention.AttentionProbabilities;
import dev.winnow.runtime.attention.AttentionTensor;
import dev.winnow.runtime.attention.ElementType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The encoder in-context ranker on the real all-MiniLM-L6-v2 through llama.cpp, with real SciFact documents: the
 * document mask holds (hidden states and scores independent of the other documents and of their order), the scores
 * equal a Java-side attention computation from the captured Q and K, and windows merge as documented.
 */
class EncoderInContextRankerTest {

    private static final String QUERY = "0-dimensional biomaterials show inductive properties.";
    // SciFact corpus documents (abstracts shortened)
    private static final List<Candidate> DOCS = List.of(
            new Candidate(
                    "4983",
                    "Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor magnetic resonance imaging.",
                    "Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical development and result in functional disabilities.",
                    3),
            new Candidate(
                    "5836",
                    "Induction of myelodysplasia by myeloid-derived suppressor cells.",
                    "Myelodysplastic syndromes (MDS) are age-dependent stem cell malignancies that share biological features of activated adaptive immune response and ineffective hematopoiesis.",
                    2),
            new Candidate(
                    "7912",
                    "BC1 RNA, the transcript from a master gene for ID element amplification, is able to prime its own reverse transcription.",
                    "ID elements are short interspersed elements (SINEs) found in high copy number in many rodent genomes.",
                    1));

    private static Model model;

    @BeforeAll
    static void load() throws Exception {
        Path gguf = EmbeddingModels.fromEnvironment().ensure("minilm");
        model = Llama.load().loadModel(gguf);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static EncoderRankerOptions options() {
        return EncoderRankerOptions.defaults().withLayer(3).withThreads(2);
    }

    /** The rows of {@code tensor} (e.g. {@code kqv_out-2}, [n_embd] each) of every document, from one pass over {@code docs}. */
    private static Map<String, float[][]> documentStates(List<Candidate> docs, String tensor) {
        try (EncoderInContextRanker r = new EncoderInContextRanker(model, options())) {
            float[][] captured = new float[1][];
            int[] shape = new int[2];
            r.extraTaps.add(Map.entry(TensorSelector.name(tensor), v -> {
                captured[0] = v.toFloatArray();
                shape[0] = (int) v.ne(0);
            }));
            EncoderScores s = r.scoreAll(QUERY, docs);
            Map<String, float[][]> out = new HashMap<>();
            for (int d = 0; d < s.documents().size(); d++) {
                int[] rows = r.lastDocumentRows[d];
                float[][] states = new float[rows.length][];
                for (int t = 0; t < rows.length; t++) {
                    states[t] = java.util.Arrays.copyOfRange(captured[0], rows[t] * shape[0], (rows[t] + 1) * shape[0]);
                }
                out.put(s.documents().get(d).docId(), states);
            }
            return out;
        }
    }

    @Test
    void documentHiddenStatesDoNotDependOnOtherDocuments() {
        // Layer 0's attention output: only the mask and f32 rounding (2e-7 relative measured on an AVX2 machine).
        assertStatesAgree("kqv_out-0", 1e-6);
        // Layer 2's, after two feed-forward blocks: ggml's CPU GELU rounds its input to f16 for a table lookup
        // (GGML_GELU_FP16), so an f32 rounding difference upstream (the matrix products round by batch shape) can move
        // an element by one f16 step, 2^-11 of its size, and the next layers carry that on (1.2e-4 relative measured on
        // AVX2, 2.5e-4 on AVX-512). Bound: two f16 steps. A document that attended to another would differ by the
        // weight of whole other documents' values, not by rounding steps.
        assertStatesAgree("kqv_out-2", Math.scalb(1.0, -10));
    }

    /** Document 4983's rows of {@code tensor} alone and among the others agree within {@code relative} of its largest. */
    private static void assertStatesAgree(String tensor, double relative) {
        float[][] alone = documentStates(List.of(DOCS.get(0)), tensor).get("4983");
        float[][] together = documentStates(DOCS, tensor).get("4983");
        assertEquals(alone.length, together.length);
        double maxDiff = 0;
        double maxAbs = 0;
        for (int t = 0; t < alone.length; t++) {
            for (int i = 0; i < alone[t].length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(alone[t][i] - together[t][i]));
                maxAbs = Math.max(maxAbs, Math.abs(alone[t][i]));
            }
        }
        assertTrue(maxAbs > 0.01, tensor + ": states are not trivially zero");
        assertTrue(
                maxDiff < relative * maxAbs,
                tensor + ": document state changed with other documents present: " + maxDiff + " (largest element "
                        + maxAbs + ", allowed " + relative + " of it)");
    }

    @Test
    void scoresDoNotDependOnDocumentOrder() {
        List<Candidate> reversed = new ArrayList<>();
        for (Candidate c : DOCS) {
            // reversed first-stage scores: the documents are laid out in the opposite order
            reversed.add(new Candidate(c.docId(), c.title(), c.text(), -c.firstStageScore()));
        }
        try (EncoderInContextRanker r = new EncoderInContextRanker(model, options())) {
            Map<String, Double> a = scores(r.rank(QUERY, DOCS));
            Map<String, Double> b = scores(r.rank(QUERY, reversed));
            for (String id : a.keySet()) {
                // summation order differs with the layout: float rounding only
                assertEquals(a.get(id), b.get(id), 1e-4 * Math.abs(a.get(id)), id);
            }
        }
    }

    private static Map<String, Double> scores(Ranking ranking) {
        Map<String, Double> m = new HashMap<>();
        ranking.documents().forEach(d -> m.put(d.docId(), d.score()));
        return m;
    }

    /** The read layer's prefix attention recomputed Java-side from the captured Q and K equals the ranker's score. */
    @Test
    void scoresEqualJavaSideAttentionFromCapturedQk() {
        int layer = 3;
        try (EncoderInContextRanker r = new EncoderInContextRanker(model, options());
                Arena arena = Arena.ofConfined()) {
            Map<String, float[]> qk = new HashMap<>();
            long[][] shapes = new long[2][];
            for (String name : List.of("Qcur", "Kcur")) {
                r.extraTaps.add(Map.entry(TensorSelector.name(name + "-" + layer), v -> {
                    if (v.ne(2) > 1 && v.ne(3) == 1) { // the [d, n_head, n_tokens] reshape
                        qk.put(name, v.toFloatArray());
                        shapes[name.equals("Qcur") ? 0 : 1] = v.shape();
                    }
                }));
            }
            EncoderScores s = r.scoreAll(QUERY, DOCS);
            long[] sh = shapes[0];
            int dim = (int) sh[0];
            int heads = (int) sh[1];
            int tokens = (int) sh[2];
            AttentionTensor q = tensor(arena, qk.get("Qcur"), tokens, heads, dim);
            AttentionTensor k = tensor(arena, qk.get("Kcur"), tokens, heads, dim);
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, tokens, heads, dim);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, tokens, tokens);
            Attention.dense(AttentionInputs.of(q, k, k), null, out, p);
            int[][] docRows = r.lastDocumentRows;
            int prefixLength = tokens;
            for (int[] rows : docRows) {
                prefixLength -= rows.length;
            }
            for (int d = 0; d < docRows.length; d++) {
                double expected = 0;
                for (int h = 0; h < heads; h++) {
                    for (int row = 1; row < prefixLength - 1; row++) {
                        double prefixMass = 0;
                        for (int j = 0; j < prefixLength; j++) {
                            prefixMass += p.get(h, row, j);
                        }
                        double m = 0;
                        for (int j = 0; j < docRows[d].length - 1; j++) { // closing [SEP] left out
                            m += p.get(h, row, docRows[d][j]);
                        }
                        expected += m / prefixMass;
                    }
                }
                expected /= heads * (prefixLength - 2);
                double actual = s.queryTokens()[layer][d];
                assertTrue(actual > 0);
                assertEquals(expected, actual, 1e-4 * expected, "document " + d);
            }
        }
    }

    private static AttentionTensor tensor(Arena arena, float[] data, int tokens, int heads, int dim) {
        MemorySegment seg = arena.allocate((long) data.length * Float.BYTES, 64);
        MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, data.length);
        return AttentionTensor.contiguous(seg, ElementType.F32, tokens, heads, dim);
    }

    /** Windows: each window's scores are those of its documents ranked alone, merged as they are. */
    @Test
    void windowsMergeScoresOfEachWindow() {
        EncoderRankerOptions o = options().withDocumentTokenBudget(40);
        try (EncoderInContextRanker one = new EncoderInContextRanker(model, o);
                EncoderInContextRanker small = new EncoderInContextRanker(model, o.withWindowTokens(64))) {
            EncoderScores windowed = small.scoreAll(QUERY, DOCS);
            assertEquals(3, windowed.windows(), "one document per window");
            for (int d = 0; d < DOCS.size(); d++) {
                Candidate c = windowed.documents().get(d);
                double aloneScore = one.scoreAll(QUERY, List.of(c)).queryTokens()[3][0];
                assertEquals(aloneScore, windowed.queryTokens()[3][d], 1e-9 * aloneScore, c.docId());
            }
            EncoderScores together = one.scoreAll(QUERY, DOCS);
            assertEquals(1, together.windows());
            // the prefix attends to different documents below the read layer, so scores move, but only a little
            for (int d = 0; d < DOCS.size(); d++) {
                double a = together.queryTokens()[3][d];
                double b = windowed.queryTokens()[3][d];
                assertTrue(Math.abs(a - b) < 0.5 * Math.max(a, b), "window merge moved score " + a + " -> " + b);
            }
        }
    }
}
