package dev.winnow.ranking.incontext.blockrank;

import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.AttentionDetail;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.capture.CaptureSession;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.score.HeadShape;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorListener;
import dev.winnow.runtime.TensorSelector;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * BlockRank (Gupta et al. 2025, "Scalable In-context Ranking with Generative Models") on llama.cpp, linear in the
 * number of documents.
 *
 * <p><b>Attention structure.</b> The instruction attends causally to itself; each document attends to the
 * instruction and causally to itself, never to another document; the query block attends to everything. Every
 * document starts at the same position (the instruction's length), so the order of documents does not matter; the
 * query block starts right after the longest document ({@link dev.winnow.ranking.incontext.prompt.BlockRankLayout#COMPACT})
 * or at the reference code's fixed position 16384 ({@link dev.winnow.ranking.incontext.prompt.BlockRankLayout#REFERENCE},
 * the default for a BlockRank checkpoint; wording, tokenization and signal rows as the reference code too, see
 * {@link PromptBuilder#referenceBlockRank}). llama.cpp wants a sequence's new tokens right after its last position,
 * so for the reference layout the moved cells are recorded that much later while their keys keep the rotation of
 * their true positions: the query block then sees every key at the reference distance.
 *
 * <p><b>How it runs.</b> Two contexts with the same flash-attention setting (on by default) and KV type:
 * <ol>
 *   <li>a small document context: the instruction is decoded once in sequence 0; documents are packed into batches
 *       (at most {@code batchTokens} tokens), each in its own sequence that first receives the instruction's cells
 *       ({@code llama_memory_seq_cp}); a batch's documents are computed together, each seeing only the instruction
 *       and itself, and the KV cache never holds more than one batch of documents, so cost grows linearly;</li>
 *   <li>a query context: the instruction's state and, after each batch, each document's own cells (its sequence
 *       with the instruction cells removed) are moved in with {@code llama_state_seq_get_data} /
 *       {@code llama_state_seq_set_data} into a working sequence, copied into the query's sequence and the working
 *       sequence freed, so one sequence id serves every document; then the query block is decoded there.</li>
 * </ol>
 * The score is computed Java-side from the post-RoPE {@code Kcur} of the document tokens (captured while they are
 * decoded) and the {@code Qcur} of the signal token(s) at the scoring layer ({@link WindowScores}, the runtime's {@link dev.winnow.runtime.attention.BlockRelevance}); with early exit
 * the graph stops after the last layer the score needs, for the documents and for the query.
 *
 * <p><b>Windows.</b> When instruction + documents + query exceed {@code maxPromptCells}, documents are split into
 * windows (in canonical order), each ranked with the same instruction and query. Per (signal row, head) the logits of
 * all windows' document tokens go through one softmax, so the scores of all documents sum to 1 as in one prompt;
 * the approximation is that each window's signal query only saw that window's documents in earlier layers.
 *
 * <p><b>Cancellation.</b> The token of {@link #rank(String, List, Cancellation)} is polled before every
 * window, document batch and query block, and by llama.cpp inside every decode of both contexts; a cancelled call
 * clears both KV caches and the captured rows before it throws {@link CancellationException}.
 *
 * <p>llama.cpp refuses to move a sequence state from a {@code kv_unified=false} context into a unified one ("n_stream
 * mismatch") and between contexts of different flash-attention settings ("incompatible V transposition"); both
 * contexts here are unified with the same setting.
 */
public final class BlockRankRanker extends AbstractInContextRanker {

    private static final int INSTRUCTION_SEQ = 0;
    private static final int QUERY_SEQ = 0;
    private static final int WORK_SEQ = 1;

    private final InContextOptions options;
    private final ModelTokenizer tokenizer;
    private final PromptBuilder prompts;
    private final int[] layers;
    private final int maxDocsPerBatch;

    private final CaptureSession docs;
    private final CaptureSession queries;
    private final Arena arena = Arena.ofShared();
    private MemorySegment stateBuffer;

    /**
     * @param model   a causal language model whose graph names post-RoPE Q/K {@code Qcur-L}/{@code Kcur-L}
     * @param options settings
     * @throws IllegalArgumentException when the scoring layer is outside the model
     */
    public BlockRankRanker(Model model, InContextOptions options) {
        super("blockrank");
        this.options = options;
        this.tokenizer = new ModelTokenizer(model.vocabulary());
        this.prompts = PromptBuilder.forModel(tokenizer, model, options);
        this.layers = options.layers(model.layerCount());
        this.maxDocsPerBatch = Math.min(options.parallelSequences(), ContextOptions.MAX_SEQUENCES - 1);
        this.docs = new CaptureSession(model, options, layers, maxDocsPerBatch + 1);
        this.queries = new CaptureSession(model, options, layers, 2);
    }

    /**
     * Where the time of the last {@link #rank} call went, in nanoseconds summed over windows: wall time, or the
     * calling thread's CPU time (which is llama.cpp's compute time too when it runs with one thread: ggml then
     * computes on the calling thread).
     *
     * @param instruction decoding the instruction
     * @param documents   decoding the document batches
     * @param moves       moving KV cells from the document context to the query context, and copying keys
     * @param query       decoding the query block
     * @param scoring     Java-side scoring
     */
    public record Timings(long instruction, long documents, long moves, long query, long scoring) {}

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final long[] wall = new long[5];
    private final long[] cpu = new long[5];
    private long markWall;
    private long markCpu;

    private void mark() {
        markWall = System.nanoTime();
        markCpu = THREADS.getCurrentThreadCpuTime();
    }

    /** Adds the time since the last mark to a phase and marks again. */
    private void lap(int phase) {
        long w = System.nanoTime();
        long c = THREADS.getCurrentThreadCpuTime();
        wall[phase] += w - markWall;
        cpu[phase] += c - markCpu;
        markWall = w;
        markCpu = c;
    }

    /** The wall-time phases of the last {@link #rank} call. */
    public Timings lastTimings() {
        return new Timings(wall[0], wall[1], wall[2], wall[3], wall[4]);
    }

    /** The calling thread's CPU time per phase of the last {@link #rank} call. */
    public Timings lastCpuTimings() {
        return new Timings(cpu[0], cpu[1], cpu[2], cpu[3], cpu[4]);
    }

    /**
     * Observes a tensor of the document context from the next context on (diagnostics and tests: for example
     * {@code l_out-L} of the document batches). The document context decodes the instruction first, then one
     * batch of documents per decode, each document's tokens contiguous, in canonical order.
     *
     * @param selector which tensors
     * @param listener called on the decoding thread
     */
    public void observeDocuments(TensorSelector selector, TensorListener listener) {
        docs.observe(selector, listener);
    }

    /** The 0-based layers whose attention is read. */
    public int[] layers() {
        return layers.clone();
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation check) {
        PromptLayout layout = prompts.blockRank(query, ordered);
        List<int[]> windows = windows(layout);
        Arrays.fill(wall, 0);
        Arrays.fill(cpu, 0);
        int n = ordered.size();
        WindowScores perLayer = new WindowScores(layers.length, n);
        long evaluated = 0;
        for (int w = 0; w < windows.size(); w++) {
            throwIfCancelled(check, "before window " + (w + 1) + " of " + windows.size());
            evaluated += runWindow(layout, windows.get(w), perLayer, check);
        }
        WindowScores.Scores s = perLayer.merge();
        AttentionDetail[] details = new AttentionDetail[n];
        for (int d = 0; d < n; d++) {
            details[d] = AttentionDetail.of(layout.documents().get(d).tokens(), s.tokenWeights()[d], tokenizer);
        }
        return new Scores(
                s.scores(), details, evaluated, layout.totalTokens(), windows.size(), layout.truncatedDocuments());
    }

    /** A cancelled call leaves neither KV cells nor captured rows behind. */
    @Override
    protected void afterCancel() {
        docs.clear();
        queries.clear();
    }

    @Override
    protected void afterCall() {
        docs.end();
        queries.end();
    }

    /** Splits the documents (canonical order) into windows that fit {@code maxPromptCells}. */
    private List<int[]> windows(PromptLayout layout) {
        int fixed = layout.instruction().length() + layout.query().length();
        int budget = options.maxPromptCells() - fixed;
        List<int[]> out = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int used = 0;
        for (PromptLayout.Block b : layout.documents()) {
            if (b.length() > budget) {
                throw new IllegalArgumentException("document " + (b.document() + 1) + " needs " + b.length()
                        + " KV cells beside instruction and query (" + fixed + "), more than maxPromptCells "
                        + options.maxPromptCells() + ": lower the document token budget or raise maxPromptCells");
            }
            if (used + b.length() > budget) {
                out.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                used = 0;
            }
            current.add(b.document());
            used += b.length();
        }
        out.add(current.stream().mapToInt(Integer::intValue).toArray());
        return out;
    }

    /** Ranks one window; fills the window's documents' logits; returns the tokens evaluated. */
    private long runWindow(PromptLayout layout, int[] window, WindowScores perLayer, Cancellation check) {
        PromptLayout.Block instruction = layout.instruction();
        int instructionLength = instruction.length();
        int maxDoc = 0;
        int docCells = 0;
        for (int d : window) {
            maxDoc = Math.max(maxDoc, layout.documents().get(d).length());
            docCells += layout.documents().get(d).length();
        }
        int batchTokens =
                Math.max(options.batchTokens(), Math.max(maxDoc, layout.query().length()));
        batchTokens = Math.max(batchTokens, instructionLength);
        int docContextCells = instructionLength + batchTokens;
        docs.ensure(docContextCells, Math.max(docContextCells, 1024), batchTokens);
        // the reference layout's fixed query position needs that many cells: the runtime keeps positions below n_ctx
        int queryStart = layout.fixedQueryPosition() ? layout.queryPosition() : instructionLength + maxDoc;
        int queryCells = Math.max(instructionLength + docCells, queryStart)
                + layout.query().length();
        queries.ensure(
                queryCells,
                Math.min(
                        Math.max(roundUp(queryCells, 4096), queryCells),
                        Math.max(queryCells, options.maxPromptCells())),
                batchTokens);
        long before = docs.context().evaluatedTokens() + queries.context().evaluatedTokens();
        docs.begin(check);
        queries.begin(check);
        Batch docBatch = docs.batch();

        // 1. the instruction, once, moved into the query's sequence
        docBatch.clear();
        docBatch.addSequence(instruction.tokens(), 0, INSTRUCTION_SEQ, false);
        mark();
        docs.decode(false, true, options.earlyExit());
        docs.capture().clear();
        lap(0);
        // the reference layout's query block sits at a fixed position, past a gap llama.cpp does not allow in one
        // sequence: the moved cells are recorded that much later (their keys keep the rotation of their true
        // positions), so the query block continues the sequence and sees every key at its reference distance
        int shift = queryStart - (instructionLength + maxDoc);
        move(INSTRUCTION_SEQ, QUERY_SEQ, false, shift);
        lap(2);

        // 2. documents, packed into batches; each sees the instruction and itself
        List<float[]>[] keys = newKeyLists();
        int next = 0;
        while (next < window.length) {
            docs.throwIfAborted("after " + next + " of " + window.length + " documents of a window");
            docBatch.clear();
            int first = next;
            int tokens = 0;
            while (next < window.length
                    && next - first < maxDocsPerBatch
                    && tokens + layout.documents().get(window[next]).length() <= batchTokens) {
                PromptLayout.Block doc = layout.documents().get(window[next]);
                int seq = 1 + next - first;
                docs.context().kvCache().copySequence(INSTRUCTION_SEQ, seq, -1, -1);
                docBatch.addSequence(doc.tokens(), instructionLength, seq, false);
                tokens += doc.length();
                next++;
            }
            mark();
            docs.decode(false, true, options.earlyExit());
            lap(1);
            int row = 0;
            for (int j = first; j < next; j++) {
                int len = layout.documents().get(window[j]).length();
                for (int l = 0; l < layers.length; l++) {
                    keys[l].add(docs.capture().keys(l).copyRows(row, row + len));
                }
                row += len;
                int seq = 1 + j - first;
                docs.context().kvCache().removeSequence(seq, 0, instructionLength);
                move(seq, WORK_SEQ, true, shift);
                docs.context().kvCache().removeSequence(seq);
            }
            docs.capture().clear();
            lap(2);
        }

        // 3. the query block after the longest document; read the signal rows' Q
        queries.throwIfAborted("before the query block");
        Batch queryBatch = queries.batch();
        queryBatch.clear();
        queryBatch.addSequence(layout.query().tokens(), queryStart, QUERY_SEQ, false);
        mark();
        queries.decode(true, false, options.earlyExit());
        lap(3);
        int[] signalRows = layout.signalRows(options.signalTokens());
        int rows = signalRows.length;
        for (int l = 0; l < layers.length; l++) {
            HeadShape shape = queries.capture().shape(l, docs.capture());
            float[] signal = queries.capture().queries(l).copyRows(signalRows[0], signalRows[0] + rows);
            perLayer.add(l, shape, signal, rows, window, keys[l]);
        }
        queries.capture().clear();
        lap(4);
        return docs.context().evaluatedTokens() + queries.context().evaluatedTokens() - before;
    }

    @SuppressWarnings("unchecked")
    private List<float[]>[] newKeyLists() {
        List<float[]>[] keys = new List[layers.length];
        for (int l = 0; l < layers.length; l++) {
            keys[l] = new ArrayList<>();
        }
        return keys;
    }

    /**
     * Moves a sequence's KV cells from the document context to the query context: into the query's sequence
     * directly (the instruction) or through the working sequence (a document, so the query's cells are kept).
     */
    private void move(int docSeq, int targetSeq, boolean viaWork, int shift) {
        long size = docs.context().sequenceStateSize(docSeq);
        if (stateBuffer == null || stateBuffer.byteSize() < size) {
            stateBuffer = arena.allocate(Math.max(size, stateBuffer == null ? 0 : stateBuffer.byteSize() * 2), 64);
        }
        long written = docs.context().saveSequence(docSeq, stateBuffer);
        MemorySegment state = stateBuffer.asSlice(0, written);
        if (shift != 0) {
            shiftRecordedPositions(state, shift);
        }
        if (!viaWork) {
            queries.context().restoreSequence(state, targetSeq);
            return;
        }
        queries.context().restoreSequence(state, WORK_SEQ);
        queries.context().kvCache().copySequence(WORK_SEQ, QUERY_SEQ, -1, -1);
        queries.context().kvCache().removeSequence(WORK_SEQ);
    }

    /**
     * Adds {@code shift} to the position recorded for every cell of a single-sequence state from
     * {@code llama_state_seq_get_data} (after llama.cpp's header {@code uint32 magic 0xaf143cd8, int32 seq_id}, where
     * the bound release writes one, the KV cache's state: {@code uint32 n_stream}, then per stream
     * {@code uint32 cell_count}, per cell {@code int32 pos, uint32 n_seq_id (1), int32 seq_id}, then the data, which
     * starts with {@code uint32 v_trans} (0 or 1) and {@code uint32 n_layer}). The keys are left as they are: they keep
     * the rotation of the positions they were computed at.
     *
     * @throws IllegalStateException when the state does not have that layout (a model whose cells carry extra
     *                               fields, such as M-RoPE's)
     */
    /** The header llama.cpp's {@code llama_state_seq_get_data} starts with ({@code io_magic} in llama-context.cpp). */
    private static final int STATE_MAGIC = 0xaf143cd8;

    static void shiftRecordedPositions(MemorySegment state, int shift) {
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED;
        long at = state.byteSize() >= 8 && state.get(i32, 0) == STATE_MAGIC ? 8 : 0;
        int streams = state.get(i32, at);
        at += 4;
        if (streams != 1) {
            throw new IllegalStateException(
                    "sequence state with " + streams + " streams; the reference layout needs" + " a unified KV cache");
        }
        int cells = state.get(i32, at);
        at += 4;
        if (cells < 0 || 8 + 12L * cells + 8 > state.byteSize()) {
            throw new IllegalStateException(
                    "sequence state of " + state.byteSize() + " bytes cannot hold " + cells + " cells");
        }
        for (int i = 0; i < cells; i++) {
            long cell = at + 12L * i;
            if (state.get(i32, cell + 4) != 1) {
                throw new IllegalStateException("unexpected llama.cpp sequence state layout (cell " + i + " names "
                        + state.get(i32, cell + 4) + " sequences): the reference layout cannot place this model's"
                        + " query block; use the compact layout");
            }
        }
        long data = at + 12L * cells;
        int vTrans = state.get(i32, data);
        int nLayer = state.get(i32, data + 4);
        if (cells > 0 && (vTrans < 0 || vTrans > 1 || nLayer < 1 || nLayer > 4096)) {
            throw new IllegalStateException("unexpected llama.cpp sequence state layout (v_trans " + vTrans
                    + ", n_layer " + nLayer + "): the reference layout cannot place this model's query block;"
                    + " use the compact layout");
        }
        for (int i = 0; i < cells; i++) {
            long pos = at + 12L * i;
            state.set(i32, pos, state.get(i32, pos) + shift);
        }
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    @Override
    public void close() {
        docs.close();
        queries.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
