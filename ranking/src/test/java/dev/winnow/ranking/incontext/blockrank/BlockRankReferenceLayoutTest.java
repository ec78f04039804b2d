package dev.winnow.ranking.incontext.blockrank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.BlockRankLayout;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BlockRank's reference layout against rules written independently from the paper's reference code
 * (src/test/resources/blockrank/reference_layout.py: prompt text, segments, collate positions, block mask, signal
 * rows), and both layouts' scores against ../shared/tools/llama_reference.py, a float64 forward pass of stories260K
 * given Winnow's tokens, positions and mask.
 */
class BlockRankReferenceLayoutTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String QUERY = "Who found a shiny stone?";
    private static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    private static InContextOptions options(BlockRankLayout layout) {
        return InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withBatchTokens(512)
                .withFlashAttention(false)
                .withLayout(layout);
    }

    private static PromptLayout layout(InContextOptions o, List<Candidate> ordered) {
        return PromptBuilder.forModel(new ModelTokenizer(model.vocabulary()), model, o)
                .blockRank(QUERY, ordered);
    }

    @Test
    void referenceLayoutEqualsTheReferenceCodesRules() throws Exception {
        List<Candidate> docs = Rankings.canonicalOrder(Fixtures.stories(4));
        assertMatchesRules(options(BlockRankLayout.REFERENCE), docs);

        // a small block budget cuts the long documents' blocks (their END ID goes too, as in the collate function)
        List<Candidate> longer = new ArrayList<>(docs);
        longer.set(1, new Candidate("long", "A long story", (docs.get(1).text() + " ").repeat(6), 3.5));
        InContextOptions cut = options(BlockRankLayout.REFERENCE).withBudgets(160, 64);
        PromptLayout l = assertMatchesRules(cut, Rankings.canonicalOrder(longer));
        assertTrue(l.truncatedDocuments() >= 1, "the long document is cut");
    }

    private static PromptLayout assertMatchesRules(InContextOptions o, List<Candidate> docs) throws Exception {
        PromptLayout winnow = layout(o, docs);
        ModelTokenizer tok = new ModelTokenizer(model.vocabulary());
        PromptFamily family = PromptFamily.detect(model.chatTemplate().orElse(null));

        ObjectNode req = JSON.createObjectNode();
        req.put("query", QUERY);
        ArrayNode d = req.putArray("documents");
        for (Candidate c : docs) {
            d.addObject().put("title", c.title()).put("text", c.text());
        }
        req.put("bos", tok.bos().isPresent() ? tok.piece(tok.bos().getAsInt()) : "");
        req.put("user_start", family.userStart());
        req.put("assistant_start", family.assistantStart());
        JsonNode seg = python("segments", req);

        ObjectNode col = JSON.createObjectNode();
        ArrayNode st = col.putArray("segment_tokens");
        for (JsonNode s : seg.get("segments")) {
            ArrayNode ids = st.addArray();
            for (int t : tok.tokenize(s.asText(), true)) {
                ids.add(t);
            }
        }
        col.put("max_block_length", o.documentTokenBudget());
        col.put("pad_id", 0);
        JsonNode ref = python("collate", col);

        assertArrayEquals(ints(ref.get("input_ids")), winnow.causalTokens(), "token stream");
        assertArrayEquals(ints(ref.get("position_ids")), winnow.blockRankPositions(), "positions");
        boolean[][] mask = winnow.blockRankMask();
        JsonNode rows = ref.get("mask");
        assertEquals(rows.size(), mask.length);
        for (int i = 0; i < mask.length; i++) {
            String want = rows.get(i).asText();
            StringBuilder got = new StringBuilder();
            for (boolean b : mask[i]) {
                got.append(b ? '1' : '0');
            }
            assertEquals(want, got.toString(), "mask row " + i);
        }
        int queryStart = winnow.totalTokens() - winnow.query().length();
        int[] signal = winnow.signalRows(1);
        int[] global = {queryStart + signal[0], queryStart + signal[1]};
        assertArrayEquals(ints(ref.get("signal")), global, "signal rows");
        assertEquals(
                tok.bos().isPresent() ? tok.bos().getAsInt() : winnow.causalTokens()[0],
                winnow.causalTokens()[0],
                "the first token");
        return winnow;
    }

    @Test
    void compactLayoutDiffersWhereTheIssueSaysItDoes() {
        List<Candidate> docs = Rankings.canonicalOrder(Fixtures.stories(3));
        PromptLayout compact = layout(options(BlockRankLayout.COMPACT), docs);
        PromptLayout reference = layout(options(BlockRankLayout.REFERENCE), docs);
        assertEquals(compact.instruction().length() + compact.maxDocumentLength(), compact.queryPosition());
        assertEquals(16384, reference.queryPosition());
        assertArrayEquals(new int[] {compact.query().length() - 1}, compact.signalRows(1));
        assertEquals(2, reference.signalRows(1).length);
        assertNotEquals(List.of(compact.causalTokens().length), List.of(reference.causalTokens().length));
    }

    @Test
    void layoutIsDetectedFromTheModelsMetadataAndParsedFromText() {
        assertEquals(BlockRankLayout.COMPACT, BlockRankLayout.detect(model.metadata()), "stories260K");
        assertEquals(
                BlockRankLayout.REFERENCE,
                BlockRankLayout.detect(Map.of("general.name", "Blockrank Msmarco Mistral 7b")));
        assertEquals(
                BlockRankLayout.REFERENCE,
                BlockRankLayout.detect(Map.of(
                        "general.base_model.0.repo_url",
                        "https://huggingface.co/quicktensor/blockrank-msmarco-mistral-7b")));
        assertEquals(
                BlockRankLayout.COMPACT,
                BlockRankLayout.detect(Map.of("general.name", "BlockRank", BlockRankLayout.METADATA_KEY, "compact")));
        assertEquals(
                BlockRankLayout.REFERENCE, BlockRankLayout.detect(Map.of(BlockRankLayout.METADATA_KEY, "reference")));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BlockRankLayout.parse("full", "--layout"));
        assertTrue(
                e.getMessage().contains("--layout")
                        && e.getMessage().contains("'full'")
                        && e.getMessage().contains("reference or compact"),
                e.getMessage());
    }

    @Test
    void scoresOfBothLayoutsEqualTheFloat64Reference(@TempDir Path dir) throws Exception {
        List<Candidate> docs = Fixtures.stories(5);
        List<Candidate> ordered = Rankings.canonicalOrder(docs);
        Map<BlockRankLayout, double[]> byLayout = new HashMap<>();
        for (BlockRankLayout which : BlockRankLayout.values()) {
            InContextOptions o = options(which);
            PromptLayout layout = layout(o, ordered);
            Ranking ranking;
            try (BlockRankRanker ranker = new BlockRankRanker(model, o)) {
                ranking = ranker.rank(QUERY, docs);
            }
            double[] winnow = new double[ordered.size()];
            for (RankedDocument r : ranking.documents()) {
                winnow[indexOf(ordered, r.docId())] = r.score();
            }
            int layer = o.scoringLayer(model.layerCount());
            double[] ref = referenceScores(dir.resolve(which.id()), layout, layer, o.signalTokens());
            // llama.cpp rotates Q and K with float32 angles: at the reference layout's query position 16384 one ulp
            // of the angle is 2^-9 rad, against 2^-17 near position 100, so there float32 RoPE alone leaves the
            // scores about 1e-5 relative from the float64 oracle (measured 2.5e-6 absolute on scores near 0.3); a
            // wrong position, mask, row or document column moves them by 1e-2 to 1e-1
            double tolerance = which == BlockRankLayout.COMPACT ? 1e-6 : 1e-5;
            double worst = 0;
            for (int i = 0; i < ref.length; i++) {
                worst = Math.max(worst, Math.abs(ref[i] - winnow[i]));
                assertEquals(
                        ref[i],
                        winnow[i],
                        tolerance,
                        which + " layout, document " + i + ": float64 reference " + ref[i] + ", Winnow " + winnow[i]);
            }
            System.out.println("BlockRankReferenceLayoutTest: " + which + " layout, largest score difference to the"
                    + " float64 reference " + worst);
            byLayout.put(which, winnow);
        }
        double moved = 0;
        for (int i = 0; i < ordered.size(); i++) {
            moved = Math.max(
                    moved,
                    Math.abs(byLayout.get(BlockRankLayout.REFERENCE)[i] - byLayout.get(BlockRankLayout.COMPACT)[i]));
        }
        assertTrue(moved > 1e-3, "the two layouts score differently: " + moved);
    }

    /** Scores recomputed from the reference's kq_soft_max rows over the document tokens. */
    private static double[] referenceScores(Path dir, PromptLayout layout, int layer, int signalTokens)
            throws Exception {
        Files.createDirectories(dir);
        int[] tokens = layout.causalTokens();
        int n = tokens.length;
        boolean[][] mask = layout.blockRankMask();
        Path maskFile = dir.resolve("mask.npy");
        writeBoolNpy(maskFile, mask);
        Path out = dir.resolve("out.npz");
        List<String> cmd = new ArrayList<>(List.of(
                pythonWithNumpy(),
                Fixtures.shared().resolve("tools/llama_reference.py").toString(),
                Fixtures.stories260K().toString(),
                "--tokens",
                join(tokens),
                "--positions",
                join(layout.blockRankPositions()),
                "--mask",
                maskFile.toString(),
                "--capture",
                "kq_soft_max-" + layer,
                "--out",
                out.toString()));
        run(cmd, null);
        double[] kq = readNpz(out, "kq_soft_max-" + layer);
        int heads = kq.length / (n * n);
        int instruction = layout.instruction().length();
        int queryStart = n - layout.query().length();
        int[] rows = layout.signalRows(signalTokens);
        int nd = layout.documents().size();
        double[] scores = new double[nd];
        for (int row : rows) {
            int r = queryStart + row;
            for (int h = 0; h < heads; h++) {
                long base = ((long) h * n + r) * n;
                double total = 0;
                for (int c = instruction; c < queryStart; c++) {
                    total += kq[(int) (base + c)];
                }
                int c = instruction;
                for (int dd = 0; dd < nd; dd++) {
                    double s = 0;
                    for (int t = 0; t < layout.documents().get(dd).length(); t++, c++) {
                        s += kq[(int) (base + c)];
                    }
                    scores[dd] += s / total / (heads * rows.length);
                }
            }
        }
        return scores;
    }

    private static int indexOf(List<Candidate> ordered, String docId) {
        for (int i = 0; i < ordered.size(); i++) {
            if (ordered.get(i).docId().equals(docId)) {
                return i;
            }
        }
        throw new AssertionError("no document " + docId);
    }

    private static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(v[i]);
        }
        return sb.toString();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static JsonNode python(String mode, JsonNode request) throws Exception {
        Path script = Path.of(BlockRankReferenceLayoutTest.class
                .getResource("/blockrank/reference_layout.py")
                .toURI());
        String out = run(List.of("python3", script.toString(), mode), JSON.writeValueAsString(request));
        return JSON.readTree(out);
    }

    /** python3 or /usr/bin/python3, whichever has numpy and PyYAML (.ci/run installs them). */
    private static String pythonWithNumpy() throws Exception {
        for (String p : List.of("python3", "/usr/bin/python3")) {
            try {
                Process pr = new ProcessBuilder(p, "-c", "import numpy, yaml")
                        .redirectErrorStream(true)
                        .start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
                    return p;
                }
            } catch (IOException e) {
                // try the next one
            }
        }
        throw new AssertionError("no python3 with numpy and PyYAML (python3, /usr/bin/python3): install python3-numpy"
                + " python3-yaml (.ci/run does)");
    }

    private static String run(List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out: " + cmd.get(1));
        drain.join();
        assertEquals(0, p.exitValue(), "python failed: " + String.join(" ", cmd.subList(0, 2)) + "\n" + err);
        return out;
    }

    private static void writeBoolNpy(Path file, boolean[][] mask) throws IOException {
        int n = mask.length;
        String header = "{'descr': '|b1', 'fortran_order': False, 'shape': (" + n + ", " + n + "), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(10 + header.length() + n * n).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        buf.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (boolean[] row : mask) {
            for (boolean b : row) {
                buf.put((byte) (b ? 1 : 0));
            }
        }
        Files.write(file, buf.array());
    }

    /** Reads a little-endian float64 array (any shape, C order) from an .npz. */
    private static double[] readNpz(Path npz, String name) throws IOException {
        try (InputStream in = Files.newInputStream(npz);
                ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!e.getName().equals(name + ".npy")) {
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(zip.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                int major = b.get(6);
                int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
                int start = (major == 1 ? 10 : 12) + headerLength;
                String header = new String(b.array(), major == 1 ? 10 : 12, headerLength, StandardCharsets.US_ASCII);
                assertTrue(header.contains("'<f8'") && header.contains("'fortran_order': False"), header);
                double[] out = new double[(b.capacity() - start) / 8];
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.getDouble(start + 8 * i);
                }
                return out;
            }
        }
        throw new AssertionError(npz + " has no " + name);
    }
}
