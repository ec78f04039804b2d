package dev.winnow.runtime;

import dev.winnow.bindings.llama.ggml_abort_callback;
import dev.winnow.bindings.llama.ggml_backend_sched_eval_callback;
import dev.winnow.bindings.llama.llama_context_params;
import dev.winnow.bindings.llama.llama_h;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.gguf.TensorTypeRules;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * A llama.cpp context ({@code llama_context}): the KV cache, the compute buffers, and the results of the last
 * {@link #decode}. Create it with {@link Model#newContext(ContextOptions)}.
 *
 * <p><b>Threads.</b> A context is used by one thread at a time; it may move between threads. Every call that touches
 * native state, reads of results included ({@link #argmax}, {@link #logits}, {@link #logitsCopy}, {@link
 * #embeddings}, {@link #sequenceEmbeddings} and their copies, {@link Sampler#sample}, {@link KvCache} positions,
 * state saves, {@link #threads()}), first claims the context: while another thread is inside a call (a decode, say)
 * it throws {@link IllegalStateException} ("in use by thread ...") at once instead of waiting or reading a buffer that
 * is being rewritten or freed; so does a call from inside a tap listener of the same context. Callers that share a
 * context across threads must order their calls themselves (a lock around decode-then-read). {@link #close()} claims
 * it too, so it never frees the context under another thread's call.
 *
 * <p><b>Results.</b> {@link #logits(int)}, {@link #embeddings(int)} and {@link #sequenceEmbeddings(int)} are read-only
 * views of llama.cpp's buffers, readable from any thread, valid until the next decode or encode or {@link #close()},
 * whichever thread does it: reading one afterwards throws {@link IllegalStateException} instead of reading reused or
 * freed memory (the views share one arena per decode; ending it costs a thread handshake, tens of microseconds, only
 * when a view was taken). The {@code ...Copy} methods return arrays. Every read checks the values it returns: NaN or an
 * infinity throws {@link LlamaException} naming the model, the batch entry, its position and the decode (only the row
 * read is scanned). An embedding-only model (BERT and relatives: no language-model head) has no logits: reading them
 * throws, and a context of such a model created without embeddings refuses to decode (unless it has taps, for
 * analysis of the graph's tensors).
 *
 * <p><b>Inputs.</b> Inputs that would make llama.cpp abort are refused in Java with an exception naming the limit;
 * a batch whose positions in a sequence do not go up by one (a duplicate, a step back, a gap) or do not continue the
 * sequence's KV cache is refused naming the sequence and the position (in a context without a KV cache, a BERT-type
 * encoder's, a position may repeat: positions there only select position embeddings).
 */
public final class Context implements AutoCloseable {
    private final Model model;
    private final ContextOptions options;
    private final NativeHandle handle;
    private final MemorySegment ctx;
    private final MemorySegment memory;
    private final int nCtx;
    private final int nBatch;
    private final int nUbatch;
    private final int nSeqMax;
    private final int nVocab;
    private final int nEmbd;
    private final Pooling pooling;
    private final boolean nonCausal;
    private final Arena callbacks = Arena.ofShared();
    private final Taps taps;
    private final KvCache kvCache;
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private final AtomicReference<Cancellation> cancellation = new AtomicReference<>();
    private final MemorySegment abortStub;

    /** Which batch entries of the last decode have outputs: index in batch -> output row, or -1. */
    private int[] outputRow = new int[0];

    private int lastBatchSize;
    private boolean[] lastSeqs = new boolean[0];
    private int[] outputPosition = new int[0];
    private boolean resultsValid;
    private String stoppedAfter;
    /** The arena of the views of the current results (shared: closed by whichever thread decodes or closes). */
    private final AtomicReference<Arena> resultsArena = new AtomicReference<>();

    private long evaluated;
    private long decodes;
    private final boolean noLogits;

    Context(Model model, ContextOptions options) {
        this.model = model;
        this.options = options;
        MemorySegment mptr = model.pointer();
        this.nonCausal =
                model.hasEncoder() || "false".equals(model.metadata().get(model.architecture() + ".attention.causal"));
        this.noLogits = TensorTypeRules.isEncoderOnly(model.architecture());
        checkKvFits(model, options);
        checkPooledUbatch(model, options);
        this.taps = options.taps() ? new Taps() : null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama_h.llama_context_default_params(arena);
            llama_context_params.n_ctx(p, options.contextSize());
            llama_context_params.n_batch(p, options.batchSize());
            llama_context_params.n_ubatch(p, options.ubatchSize());
            llama_context_params.n_seq_max(p, options.maxSequences());
            llama_context_params.n_threads(p, options.threads());
            llama_context_params.n_threads_batch(p, options.batchThreads());
            llama_context_params.flash_attn_type(p, options.flashAttention().id());
            llama_context_params.type_k(p, options.typeK().id());
            llama_context_params.type_v(p, options.typeV().id());
            llama_context_params.kv_unified(p, options.kvUnified());
            llama_context_params.embeddings(p, options.embeddings());
            llama_context_params.pooling_type(p, options.pooling().id());
            if (taps != null) {
                Taps t = taps;
                MemorySegment cb = ggml_backend_sched_eval_callback.allocate(
                        (tensor, ask, ud) -> t.evaluate(tensor, ask), callbacks);
                llama_context_params.cb_eval(p, cb);
                llama_context_params.cb_eval_user_data(p, MemorySegment.NULL);
            }
            NativeErrors.clear();
            MemorySegment c = llama_h.llama_init_from_model(mptr, p);
            if (c.equals(MemorySegment.NULL)) {
                callbacks.close();
                throw new LlamaException("llama.cpp could not create a context for "
                        + model.path().getFileName() + " with " + options + NativeErrors.reason("no reason logged"));
            }
            this.ctx = c;
        }
        // the cleanup captures the model and the upcall arena, never this context, so a leaked context is still freed
        Model owner = model;
        Arena stubs = callbacks;
        AtomicReference<Arena> views = resultsArena;
        this.handle = new NativeHandle(this, "context of " + model.path().getFileName(), ctx, p -> {
            Arena v = views.getAndSet(null);
            if (v != null) {
                closeArena(v); // a view kept past a leaked context must not read its freed buffers
            }
            llama_h.llama_free(p);
            stubs.close();
            owner.contextClosed();
        });
        model.contextOpened();
        this.memory = llama_h.llama_get_memory(ctx);
        this.nCtx = llama_h.llama_n_ctx(ctx);
        this.nBatch = llama_h.llama_n_batch(ctx);
        this.nUbatch = llama_h.llama_n_ubatch(ctx);
        this.nSeqMax = llama_h.llama_n_seq_max(ctx);
        this.nVocab = model.vocabulary().size();
        this.nEmbd = model.embeddingSize();
        this.pooling = Pooling.of(llama_h.llama_pooling_type(ctx));
        this.kvCache = new KvCache(this);
        // upcall targets are GC roots until their arena closes: capture the holder, never this context
        AtomicReference<Cancellation> check = cancellation;
        this.abortStub = ggml_abort_callback.allocate(
                data -> {
                    Cancellation c = check.get();
                    return c != null && c.isCancelled();
                },
                callbacks);
    }

    /**
     * Refuses a context whose KV cache alone would not fit in the memory available now: K and V of every layer for
     * n_ctx cells, estimated from the model's shape (n_layer x n_ctx x n_embd_kv x (size(typeK) + size(typeV))).
     */
    private static void checkKvFits(Model model, ContextOptions o) {
        long nCtx = o.contextSize() == 0 ? model.trainingContextSize() : o.contextSize();
        int heads = Math.max(1, model.headCount());
        long headDim = model.embeddingSize() / heads;
        long nEmbdKv = headDim * Math.max(1, model.headCountKv());
        double bytesPer = bytesPerElement(o.typeK()) + bytesPerElement(o.typeV());
        long estimate = (long) (model.layerCount() * nCtx * nEmbdKv * bytesPer);
        long available = availableMemory();
        if (available > 0 && estimate > available) {
            throw new IllegalArgumentException(String.format(
                    "context size %d needs a KV cache of about %.1f MiB (%d layers x %d cells x %d K/V width, %s/%s), "
                            + "more than the %.1f MiB of memory available: lower contextSize",
                    nCtx,
                    estimate / 1048576.0,
                    model.layerCount(),
                    nCtx,
                    nEmbdKv,
                    o.typeK(),
                    o.typeV(),
                    available / 1048576.0));
        }
    }

    /**
     * Refuses pooled embeddings over several sequences when llama.cpp's worst-case graph reservation would abort the
     * process. llama_init_from_model reserves a graph for {@code r = min(n_ctx, n_ubatch)} tokens split evenly over
     * n_seq_max sequences; when r is not a multiple of n_seq_max it rounds the token count up but keeps r outputs, and
     * with pooling (mean, CLS, last, rank) the pooling product then has mismatched shapes:
     * {@code GGML_ASSERT(ggml_can_mul_mat(a, b))} (llama-context.cpp graph_reserve, v0.5.0). n_ctx here is llama.cpp's
     * padded value (a multiple of 256; per sequence when the KV cache is not unified). Pooling NONE is not affected.
     */
    private static void checkPooledUbatch(Model model, ContextOptions o) {
        int nSeq = o.maxSequences();
        if (!o.embeddings() || o.pooling() == Pooling.NONE || nSeq == 1) {
            return;
        }
        long nCtx = padTo256(o.contextSize() == 0 ? model.trainingContextSize() : o.contextSize());
        if (!o.kvUnified()) {
            nCtx = padTo256(nCtx / nSeq) * nSeq;
        }
        long reserve = Math.min(nCtx, Math.min(o.batchSize(), o.ubatchSize()));
        if (reserve % nSeq != 0) {
            throw new IllegalArgumentException("pooled embeddings (pooling " + o.pooling() + ") over " + nSeq
                    + " sequences: llama.cpp reserves its graph"
                    + " for min(n_ctx=" + nCtx + ", n_ubatch=" + Math.min(o.batchSize(), o.ubatchSize()) + ") = "
                    + reserve
                    + " tokens, which must be a multiple of maxSequences or it aborts; choose ubatchSize "
                    + (reserve / nSeq) * nSeq + " (or another multiple of " + nSeq + " no larger than n_ctx)");
        }
    }

    private static long padTo256(long n) {
        return (n + 255) / 256 * 256;
    }

    private static double bytesPerElement(GgmlType t) {
        return (double) t.typeSize() / t.blockSize();
    }

    /** MemAvailable of /proc/meminfo in bytes, or -1 where unknown. */
    private static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    // ---- confinement ----

    private void enter() {
        Thread me = Thread.currentThread();
        Thread prev = user.compareAndExchange(null, me);
        if (prev != null) {
            if (prev == me) {
                throw new IllegalStateException(
                        "context is already in a call on this thread (a decode from inside a tap listener is not allowed)");
            }
            throw new IllegalStateException("context is in use by thread '" + prev.getName()
                    + "': a Context is confined to one thread at a time");
        }
        if (handle.isClosed()) {
            user.set(null);
            throw new IllegalStateException("context is closed");
        }
    }

    private void exit() {
        user.set(null);
    }

    MemorySegment pointer() {
        return handle.get();
    }

    MemorySegment memory() {
        handle.get();
        return memory;
    }

    /**
     * Runs a native call under the confinement check (decode, reads of results, KvCache, state): while another thread
     * is inside a call it throws instead of rewriting or reading a buffer that is being rewritten or freed.
     */
    <T> T confined(Supplier<T> call) {
        enter();
        try {
            return call.get();
        } finally {
            exit();
        }
    }

    void checkSeq(int seqId, boolean allowAll) {
        if (allowAll && seqId == -1) {
            return;
        }
        if (seqId < 0 || seqId >= nSeqMax) {
            throw new IllegalArgumentException("sequence id " + seqId + " is outside [0, n_seq_max=" + nSeqMax + ")"
                    + (allowAll ? " (or -1 for all)" : ""));
        }
    }

    // ---- decode / encode ----

    /**
     * Runs the model on a batch (llama_decode): appends its tokens to the KV cache of their sequences and computes
     * logits (and embeddings, if enabled) for the entries marked as outputs.
     *
     * @param batch the input; not modified
     * @throws IllegalArgumentException if the batch breaks a limit: empty, larger than n_batch, a token outside the
     *     vocabulary, a sequence id &gt;= n_seq_max, a position &gt;= n_ctx, or positions of a sequence that do not
     *     continue its KV cache (last position + 1) or leave gaps
     * @throws LlamaException if llama.cpp fails (for example no free KV cells: return code 1)
     * @throws CancellationException if the attached {@link Cancellation} was cancelled during the decode
     * @throws IllegalStateException if the context is closed or in use by another thread
     */
    public void decode(Batch batch) {
        run(batch, false);
    }

    /**
     * Runs an encoder (non-causal, e.g. BERT) over a batch (llama_encode); results are embeddings. The whole batch must
     * fit in one ubatch.
     *
     * @param batch the input
     * @throws IllegalArgumentException as {@link #decode}, and if the batch is longer than n_ubatch
     * @throws IllegalStateException if the model is a causal decoder (no encoder, causal attention)
     */
    public void encode(Batch batch) {
        run(batch, true);
    }

    private void run(Batch batch, boolean encode) {
        enter();
        try {
            try {
                validate(batch, encode);
            } catch (IllegalArgumentException e) {
                // the batch's problem, said with the model it was meant for (a message names its input)
                throw new IllegalArgumentException(e.getMessage() + " (model " + model.path() + ")", e);
            }
            invalidateResults();
            if (taps != null) {
                taps.beginDecode();
            }
            NativeErrors.clear();
            int rc = encode ? llama_h.llama_encode(ctx, batch.struct()) : llama_h.llama_decode(ctx, batch.struct());
            if (taps != null && taps.failure() != null) {
                Throwable f = taps.failure();
                if (f instanceof RuntimeException r) {
                    throw r;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new LlamaException("a tap listener failed", f);
            }
            if (rc == 2) {
                Cancellation c = cancellation.get();
                String why = c == null ? null : c.reason();
                throw new CancellationException((encode ? "encode" : "decode") + " aborted by the abort check"
                        + (why == null ? "" : ": " + why));
            }
            if (rc != 0) {
                throw new LlamaException((encode ? "llama_encode" : "llama_decode")
                        + " returned "
                        + rc
                        + (rc == 1
                                ? " (no free KV cache cells for the batch: n_ctx=" + nCtx
                                        + "; remove sequences or use a larger context)"
                                : NativeErrors.reason("no reason logged")));
            }
            recordOutputs(batch);
            decodes++;
            evaluated += batch.size();
            stoppedAfter = taps == null ? null : taps.stoppedAfter();
            resultsValid = true;
        } finally {
            exit();
        }
    }

    private void validate(Batch batch, boolean encode) {
        if (encode && !nonCausal) {
            throw new IllegalStateException("model " + model.path().getFileName()
                    + " is a causal decoder without an encoder: use decode, not encode");
        }
        if (noLogits && !options.embeddings() && taps == null) {
            throw new IllegalStateException(noLogitsMessage());
        }
        int n = batch.size();
        if (n == 0) {
            throw new IllegalArgumentException("batch is empty");
        }
        if (n > nBatch) {
            throw new IllegalArgumentException("batch of " + n + " tokens exceeds n_batch=" + nBatch);
        }
        if ((encode || nonCausal) && n > nUbatch) {
            throw new IllegalArgumentException(
                    "a non-causal (encoder) batch must fit in one ubatch: " + n + " tokens > n_ubatch=" + nUbatch);
        }
        int[] minPos = new int[nSeqMax];
        int[] maxPos = new int[nSeqMax];
        int[] count = new int[nSeqMax];
        Arrays.fill(minPos, Integer.MAX_VALUE);
        Arrays.fill(maxPos, -1);
        // llama.cpp collapses a sequence's positions into a set (duplicates pass unnoticed) and only refuses decreasing
        // ones: here each sequence's positions must go up by exactly one from entry to entry, in batch order. A context
        // without a KV cache (BERT-type encoders) reads positions only as position embeddings: there a position may
        // repeat
        // (tokens side by side at one position, as EncoderInContextRanker lays out documents), but not go back or skip
        boolean repeatsAllowed = memory.equals(MemorySegment.NULL);
        int[] prevPos = new int[nSeqMax];
        int[] prevEntry = new int[nSeqMax];
        for (int i = 0; i < n; i++) {
            int tok = batch.token(i);
            if (tok < 0 || tok >= nVocab) {
                throw new IllegalArgumentException(
                        "batch entry " + i + ": token id " + tok + " is outside the vocabulary [0, " + nVocab + ")");
            }
            int pos = batch.position(i);
            if (pos >= nCtx) {
                throw new IllegalArgumentException(
                        "batch entry " + i + ": position " + pos + " is beyond the context: n_ctx=" + nCtx);
            }
            model.checkPosition(i, pos); // a learned position table (BERT) may be shorter than llama.cpp's padded n_ctx
            for (int s : batch.sequenceIds(i)) {
                if (s < 0 || s >= nSeqMax) {
                    throw new IllegalArgumentException(
                            "batch entry " + i + ": sequence id " + s + " is outside [0, n_seq_max=" + nSeqMax + ")");
                }
                if (count[s] > 0 && pos != prevPos[s] + 1 && !(repeatsAllowed && pos == prevPos[s])) {
                    String what = pos == prevPos[s]
                            ? "repeats position " + pos + " of batch entry " + prevEntry[s] + " (a duplicate position)"
                            : pos < prevPos[s]
                                    ? "goes back from position " + prevPos[s] + " (batch entry " + prevEntry[s]
                                            + ") to " + pos
                                    : "has a gap in its positions: " + prevPos[s] + " (batch entry " + prevEntry[s]
                                            + ") then " + pos;
                    throw new IllegalArgumentException("batch entry " + i + ": sequence " + s + " " + what
                            + "; a sequence's positions must go up by one from entry to entry");
                }
                prevPos[s] = pos;
                prevEntry[s] = i;
                minPos[s] = Math.min(minPos[s], pos);
                maxPos[s] = Math.max(maxPos[s], pos);
                count[s]++;
            }
        }
        for (int s = 0; s < nSeqMax; s++) {
            if (count[s] == 0) {
                continue;
            }
            int last = llama_h.llama_memory_seq_pos_max(memory, s);
            if (last >= 0 && minPos[s] != last + 1) {
                throw new IllegalArgumentException("sequence "
                        + s
                        + " ends at position "
                        + last
                        + " in the KV cache, so its new tokens must start at "
                        + (last + 1)
                        + ", not "
                        + minPos[s]);
            }
            if (maxPos[s] - minPos[s] + 1 > count[s]) {
                throw new IllegalArgumentException("sequence " + s + " has a gap in its positions: " + count[s]
                        + " tokens span [" + minPos[s] + ", " + maxPos[s] + "]");
            }
        }
        if (lastSeqs.length != nSeqMax) {
            lastSeqs = new boolean[nSeqMax];
        }
        for (int s = 0; s < nSeqMax; s++) {
            lastSeqs[s] = count[s] > 0;
        }
    }

    private void recordOutputs(Batch batch) {
        int n = batch.size();
        if (outputRow.length < n) {
            outputRow = new int[Math.max(n, nBatch)];
            outputPosition = new int[outputRow.length];
        }
        int row = 0;
        for (int i = 0; i < n; i++) {
            outputRow[i] = batch.output(i) ? row++ : -1;
            outputPosition[i] = batch.position(i);
        }
        lastBatchSize = n;
    }

    /**
     * Ends the results of the last decode: views handed out are closed, whichever thread holds them (a shared arena, so
     * a view read on another thread after the next decode or after close throws instead of reading reused or freed
     * memory).
     */
    private void invalidateResults() {
        resultsValid = false;
        stoppedAfter = null;
        Arena a = resultsArena.getAndSet(null);
        if (a != null) {
            closeArena(a);
        }
    }

    private static void closeArena(Arena a) {
        // closing a shared arena fails while another thread is inside an access to one of its segments: retry
        for (int attempt = 0; ; attempt++) {
            try {
                a.close();
                return;
            } catch (IllegalStateException e) {
                if (!a.scope().isAlive()) {
                    return;
                }
                if (attempt > 10_000) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    private String noLogitsMessage() {
        return "model " + model.path().getFileName() + " (" + model.architecture() + ") is an embedding model without a"
                + " language-model head: it computes no logits, so this context (created without embeddings) has nothing to"
                + " give; create the context with ContextOptions.withEmbeddings(true, pooling)";
    }

    int checkOutput(int batchIndex, String what) {
        if (noLogits && what.equals("logits")) {
            throw new IllegalStateException(
                    noLogitsMessage()
                            .replace(
                                    "this context (created without embeddings) has nothing to give; create the context with"
                                            + " ContextOptions.withEmbeddings(true, pooling)",
                                    "there are no logits to read; read embeddings (ContextOptions.withEmbeddings(true, pooling))"));
        }
        if (!resultsValid) {
            throw new IllegalStateException("no " + what + ": nothing decoded yet, or the last decode failed");
        }
        if (stoppedAfter != null) {
            throw new IllegalStateException("no " + what + ": the last decode was stopped after tensor '" + stoppedAfter
                    + "' by a tap (early exit)");
        }
        int i = batchIndex < 0 ? lastBatchSize + batchIndex : batchIndex;
        if (i < 0 || i >= lastBatchSize) {
            throw new IndexOutOfBoundsException(
                    "batch index " + batchIndex + " outside the last batch of " + lastBatchSize + " entries");
        }
        if (outputRow[i] < 0) {
            throw new IllegalArgumentException(
                    "batch entry " + i + " was not marked as an output, so it has no " + what);
        }
        return i;
    }

    private MemorySegment view(MemorySegment p, long floats) {
        Arena a = resultsArena.get();
        if (a == null) {
            a = Arena.ofShared();
            resultsArena.set(a);
        }
        return p.reinterpret(floats * 4, a, null).asReadOnly();
    }

    /** The logits row of output entry i (already checked), NULL-checked, as n_vocab floats of llama.cpp's buffer. */
    private MemorySegment logitsRow(int i) {
        MemorySegment p = llama_h.llama_get_logits_ith(ctx, i);
        if (p.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama_get_logits_ith returned NULL for batch entry " + i + " of decode #"
                    + decodes + " (llama.cpp has no logits for that output)");
        }
        return p.reinterpret(4L * nVocab);
    }

    /** Throws naming the model and the step if a row the caller reads holds NaN or an infinity. */
    private void checkFinite(MemorySegment row, long n, int i, String what) {
        for (long k = 0; k < n; k++) {
            float v = row.getAtIndex(ValueLayout.JAVA_FLOAT, k);
            if (!Float.isFinite(v)) {
                throw nonFinite(what, v, k, i);
            }
        }
    }

    /** The error for a non-finite value {@code v} at index {@code k} of output entry {@code i} (or sequence -i-1). */
    LlamaException nonFinite(String what, float v, long k, int i) {
        String where = i < 0 ? "sequence " + (-i - 1) : "batch entry " + i + " (position " + outputPosition[i] + ")";
        return new LlamaException(
                "model " + model.path().getFileName() + " produced a non-finite " + what + " (" + v + " at index " + k
                        + ") for " + where + " in decode #" + decodes + " of this context: its weights or activations"
                        + " overflow or hold NaN (check the file with `winnow models inspect --deep`)");
    }

    /**
     * The logits of one output entry of the last decode, as a read-only view of llama.cpp's buffer (n_vocab floats),
     * valid until the next decode or encode or {@link #close()}: reading it afterwards, on any thread, throws {@link
     * IllegalStateException}.
     *
     * @param batchIndex index of the entry in the last batch; negative counts from the end (-1 = last)
     * @return n_vocab floats
     * @throws IllegalStateException if the logits are absent (no decode, a tap stopped the graph early, an embedding
     *     model without a language-model head), or the context is closed or in use by another thread
     * @throws IllegalArgumentException if the entry was not marked as an output
     * @throws LlamaException if the row holds NaN or an infinity (naming the model, the entry, its position and the
     *     decode)
     */
    public MemorySegment logits(int batchIndex) {
        return withLogits(batchIndex, (i, row) -> {
            checkFinite(row, nVocab, i, "logit");
            return view(row, nVocab);
        });
    }

    /**
     * @param batchIndex as {@link #logits(int)}
     * @return a copy of the logits (n_vocab floats)
     * @throws LlamaException if a logit is NaN or infinite
     */
    public float[] logitsCopy(int batchIndex) {
        return withLogits(batchIndex, (i, row) -> {
            float[] out = row.toArray(ValueLayout.JAVA_FLOAT);
            for (int k = 0; k < out.length; k++) {
                if (!Float.isFinite(out[k])) {
                    throw nonFinite("logit", out[k], k, i);
                }
            }
            return out;
        });
    }

    /**
     * The index of the largest logit of an output entry (greedy sampling without a sampler object).
     *
     * @param batchIndex as {@link #logits(int)}
     * @return token id
     * @throws LlamaException if a logit is NaN or infinite
     */
    public int argmax(int batchIndex) {
        return withLogits(batchIndex, (i, l) -> {
            int best = 0;
            float bestV = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < nVocab; k++) {
                float v = l.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                if (!Float.isFinite(v)) {
                    throw nonFinite("logit", v, k, i);
                }
                if (v > bestV) {
                    bestV = v;
                    best = k;
                }
            }
            return best;
        });
    }

    /**
     * Runs a read of an output entry's logits under the context's confinement: the row is checked for presence and
     * NULL; the reader checks finiteness as it reads (one pass over n_vocab floats, not two: the sampler does this for
     * every token), throwing {@link #nonFinite}.
     */
    <T> T withLogits(int batchIndex, BiFunction<Integer, MemorySegment, T> read) {
        return confined(() -> {
            int i = checkOutput(batchIndex, "logits");
            return read.apply(i, logitsRow(i));
        });
    }

    /**
     * Per-token embedding of an output entry (pooling NONE), read-only view of n_embd floats valid until the next
     * decode or {@link #close()} (reading it afterwards throws).
     *
     * @param batchIndex index in the last batch (negative from the end)
     * @return n_embd floats
     * @throws IllegalStateException if the context was created without embeddings or pools them
     * @throws LlamaException if the embedding holds NaN or an infinity
     */
    public MemorySegment embeddings(int batchIndex) {
        return confined(() -> view(embeddingRow(batchIndex), nEmbd));
    }

    private MemorySegment embeddingRow(int batchIndex) {
        handle.get();
        requireEmbeddings(false);
        int i = checkOutput(batchIndex, "embeddings");
        MemorySegment p = llama_h.llama_get_embeddings_ith(ctx, i);
        if (p.equals(MemorySegment.NULL)) {
            throw new LlamaException(
                    "llama_get_embeddings_ith returned NULL for batch entry " + i + " of decode #" + decodes);
        }
        p = p.reinterpret(4L * nEmbd);
        checkFinite(p, nEmbd, i, "embedding value");
        return p;
    }

    /**
     * @param batchIndex as {@link #embeddings(int)}
     * @param normalize scale to unit L2 norm
     * @return a copy of the token's embedding
     */
    public float[] embeddingCopy(int batchIndex, boolean normalize) {
        float[] v = confined(() -> embeddingRow(batchIndex).toArray(ValueLayout.JAVA_FLOAT));
        return normalize ? UnitVectors.normalize(v) : v;
    }

    /**
     * The pooled embedding of a sequence of the last decode/encode (pooling MEAN, CLS, LAST; RANK gives the
     * classifier's scores), as a read-only view valid until the next decode or {@link #close()}.
     *
     * @param seqId a sequence of the last batch
     * @return n_embd floats (for RANK: the model's classifier outputs, at least one)
     * @throws IllegalStateException if the context has no embeddings or no pooling
     * @throws LlamaException if the embedding holds NaN or an infinity
     */
    public MemorySegment sequenceEmbeddings(int seqId) {
        return confined(() -> {
            MemorySegment p = sequenceRow(seqId);
            return view(p, p.byteSize() / 4);
        });
    }

    private MemorySegment sequenceRow(int seqId) {
        handle.get();
        requireEmbeddings(true);
        checkSeq(seqId, false);
        if (!resultsValid || stoppedAfter != null) {
            throw new IllegalStateException("no embeddings: nothing decoded, the decode failed, or a tap stopped it");
        }
        if (!lastSeqs[seqId]) {
            throw new IllegalArgumentException("sequence " + seqId + " was not in the last batch");
        }
        MemorySegment p = llama_h.llama_get_embeddings_seq(ctx, seqId);
        if (p.equals(MemorySegment.NULL)) {
            throw new LlamaException(
                    "llama_get_embeddings_seq returned NULL for sequence " + seqId + " of decode #" + decodes);
        }
        long n = pooling == Pooling.RANK ? Math.max(1, llama_h.llama_model_n_cls_out(model.pointer())) : nEmbd;
        p = p.reinterpret(4L * n);
        checkFinite(p, n, -seqId - 1, pooling == Pooling.RANK ? "classifier score" : "pooled embedding value");
        return p;
    }

    /**
     * @param seqId as {@link #sequenceEmbeddings(int)}
     * @param normalize scale to unit L2 norm
     * @return a copy of the pooled embedding
     */
    public float[] sequenceEmbeddingCopy(int seqId, boolean normalize) {
        float[] v = confined(() -> sequenceRow(seqId).toArray(ValueLayout.JAVA_FLOAT));
        return normalize ? UnitVectors.normalize(v) : v;
    }

    private void requireEmbeddings(boolean pooled) {
        if (!options.embeddings()) {
            throw new IllegalStateException(
                    "this context computes no embeddings: create it with withEmbeddings(true, ...)");
        }
        if (pooled && pooling == Pooling.NONE) {
            throw new IllegalStateException(
                    "this context's pooling is NONE: there is no pooled embedding; use embeddings(batchIndex) per token");
        }
        if (!pooled && pooling != Pooling.NONE) {
            throw new IllegalStateException("this context pools embeddings (" + pooling
                    + "): use sequenceEmbeddings(seqId), or create it with pooling NONE");
        }
    }

    // ---- taps, memory, state ----

    /**
     * @return the taps and interventions of this context
     * @throws IllegalStateException if the context was created without {@link ContextOptions#withTaps(boolean) taps}
     */
    public Taps taps() {
        if (taps == null) {
            throw new IllegalStateException("this context was created without taps: use ContextOptions.withTaps(true)");
        }
        return taps;
    }

    /**
     * @return the KV cache operations (sequences, positions)
     */
    public KvCache kvCache() {
        return kvCache;
    }

    /**
     * Applies LoRA adapters with scales, replacing those applied before (llama_set_adapters_lora). An empty map removes
     * all. Takes effect from the next decode; the KV cache is not recomputed.
     *
     * @param scales adapter -&gt; scale (0 disables the adapter, 1 applies it as trained)
     * @throws IllegalArgumentException if an adapter belongs to another model or is closed
     */
    public void setLoraAdapters(Map<LoraAdapter, Float> scales) {
        for (LoraAdapter a : scales.keySet()) {
            if (a.model() != model) {
                throw new IllegalArgumentException(
                        "LoRA adapter " + a.path().getFileName() + " belongs to another model");
            }
            if (a.isClosed()) {
                throw new IllegalArgumentException("LoRA adapter " + a.path().getFileName() + " is closed");
            }
        }
        confined(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int n = scales.size();
                MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
                MemorySegment sc = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, n));
                int i = 0;
                for (Map.Entry<LoraAdapter, Float> e : scales.entrySet()) {
                    ptrs.setAtIndex(ValueLayout.ADDRESS, i, e.getKey().pointer());
                    sc.setAtIndex(ValueLayout.JAVA_FLOAT, i, e.getValue());
                    i++;
                }
                int rc = llama_h.llama_set_adapters_lora(
                        ctx, n == 0 ? MemorySegment.NULL : ptrs, n, n == 0 ? MemorySegment.NULL : sc);
                if (rc != 0) {
                    throw new LlamaException("llama_set_adapters_lora returned " + rc);
                }
                return null;
            }
        });
    }

    /**
     * Applies a control vector (activation steering, llama_set_adapter_cvec): for each layer L in [firstLayer,
     * lastLayer], {@code vectors[(L - 1) * n_embd .. L * n_embd)} is added to that layer's output ({@code l_out-L}).
     * Layer 0 cannot be steered (the data starts at layer 1, as in llama.cpp).
     *
     * @param vectors n_embd x (n_layer - 1) floats, layer 1 first
     * @param firstLayer first steered layer, in [1, n_layer - 1]
     * @param lastLayer last steered layer, in [firstLayer, n_layer - 1]
     * @throws IllegalArgumentException if the length or the layer range is wrong
     */
    public void setControlVector(float[] vectors, int firstLayer, int lastLayer) {
        int nLayer = model.layerCount();
        long want = (long) nEmbd * (nLayer - 1);
        if (vectors.length != want) {
            throw new IllegalArgumentException("control vector needs n_embd x (n_layer - 1) = " + nEmbd + " x "
                    + (nLayer - 1) + " = " + want + " floats, got " + vectors.length);
        }
        if (firstLayer < 1 || lastLayer > nLayer - 1 || firstLayer > lastLayer) {
            throw new IllegalArgumentException("control vector layers [" + firstLayer + ", " + lastLayer
                    + "] must lie in [1, " + (nLayer - 1) + "]");
        }
        confined(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_FLOAT, vectors);
                int rc = llama_h.llama_set_adapter_cvec(ctx, data, vectors.length, nEmbd, firstLayer, lastLayer);
                if (rc != 0) {
                    throw new LlamaException("llama_set_adapter_cvec returned " + rc);
                }
                return null;
            }
        });
    }

    /** Removes the control vector. */
    public void clearControlVector() {
        confined(() -> {
            int rc = llama_h.llama_set_adapter_cvec(ctx, MemorySegment.NULL, 0, nEmbd, 0, 0);
            if (rc != 0) {
                throw new LlamaException("llama_set_adapter_cvec(NULL) returned " + rc);
            }
            return null;
        });
    }

    /**
     * Attaches a cancellation token that llama.cpp polls during decode and encode (llama.cpp's abort callback, called
     * from its compute threads between graph nodes); once {@link Cancellation#isCancelled()} is true the decode in
     * progress stops and throws {@link CancellationException}. The token may be cancelled from any thread; attaching
     * follows the context's thread rules. null detaches it (and its per-node cost: llama.cpp then calls no Java code).
     *
     * @param token the token, or null
     */
    public void cancellation(Cancellation token) {
        enter();
        try {
            this.cancellation.set(token);
            llama_h.llama_set_abort_callback(ctx, token == null ? MemorySegment.NULL : abortStub, MemorySegment.NULL);
        } finally {
            exit();
        }
    }

    /**
     * The attached token.
     *
     * @return the token attached with {@link #cancellation(Cancellation)}, or null
     */
    public Cancellation cancellation() {
        return cancellation.get();
    }

    /**
     * Saves one sequence's KV cache state (llama_state_seq_get_data).
     *
     * @param seqId the sequence
     * @return the state bytes, to give to {@link #restoreSequence(byte[], int)} of a context of the same model and
     *     settings
     */
    public byte[] saveSequence(int seqId) {
        checkSeq(seqId, false);
        return confined(() -> {
            long size = llama_h.llama_state_seq_get_size(ctx, seqId);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Math.max(1, size));
                long n = llama_h.llama_state_seq_get_data(ctx, buf, size, seqId);
                if (n != size) {
                    throw new LlamaException("llama_state_seq_get_data wrote " + n + " of " + size + " bytes");
                }
                return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            }
        });
    }

    /**
     * Restores a sequence state saved by {@link #saveSequence(int)} into {@code seqId} (llama_state_seq_set_data).
     *
     * @param state the bytes
     * @param seqId the destination sequence (should be empty)
     * @throws LlamaException if llama.cpp refuses the state (different model, settings, or not enough cells)
     */
    public void restoreSequence(byte[] state, int seqId) {
        checkSeq(seqId, false);
        confined(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, state);
                NativeErrors.clear();
                long n = llama_h.llama_state_seq_set_data(ctx, buf, state.length, seqId);
                if (n == 0) {
                    throw new LlamaException("llama_state_seq_set_data refused a state of " + state.length
                            + " bytes for sequence " + seqId
                            + NativeErrors.reason("another model or context settings, or no room in the KV cache"));
                }
                invalidateResults();
                return null;
            }
        });
    }

    /**
     * @param seqId the sequence
     * @return bytes {@link #saveSequence(int, MemorySegment)} needs (llama_state_seq_get_size)
     */
    public long sequenceStateSize(int seqId) {
        checkSeq(seqId, false);
        return confined(() -> llama_h.llama_state_seq_get_size(ctx, seqId));
    }

    /**
     * Saves a sequence's state into caller memory without a heap copy (llama_state_seq_get_data).
     *
     * @param seqId the sequence
     * @param dst at least {@link #sequenceStateSize(int)} bytes
     * @return bytes written
     */
    public long saveSequence(int seqId, MemorySegment dst) {
        checkSeq(seqId, false);
        return confined(() -> {
            long size = llama_h.llama_state_seq_get_size(ctx, seqId);
            if (dst.byteSize() < size) {
                throw new IllegalArgumentException("destination of " + dst.byteSize()
                        + " bytes is smaller than the state of sequence " + seqId + " (" + size + " bytes)");
            }
            return llama_h.llama_state_seq_get_data(ctx, dst, size, seqId);
        });
    }

    /**
     * Restores a sequence state from memory (llama_state_seq_set_data), as {@link #restoreSequence(byte[], int)}.
     *
     * @param src the state bytes (exactly the saved length)
     * @param seqId destination sequence
     * @return bytes read
     * @throws LlamaException if llama.cpp refuses the state, with its reason, e.g. "n_stream mismatch" (taken from a
     *     kv_unified=false context) or "incompatible V transposition" (flash attention differs)
     */
    public long restoreSequence(MemorySegment src, int seqId) {
        checkSeq(seqId, false);
        return confined(() -> {
            NativeErrors.clear();
            long n = llama_h.llama_state_seq_set_data(ctx, src, src.byteSize(), seqId);
            if (n == 0) {
                throw new LlamaException(
                        "llama_state_seq_set_data refused a state of " + src.byteSize() + " bytes for sequence " + seqId
                                + NativeErrors.reason(
                                        "another model, a kv_unified or flash-attention setting that differs, or no room in the KV"
                                                + " cache"));
            }
            invalidateResults();
            return n;
        });
    }

    /**
     * Tokens this context has decoded or encoded successfully since creation (the sum of batch sizes), e.g. to check
     * that a cached prefix was not evaluated again.
     *
     * @return tokens evaluated
     */
    public long evaluatedTokens() {
        return evaluated;
    }

    /**
     * Saves a sequence's state to a file, atomically (temp file, then rename).
     *
     * @param seqId the sequence
     * @param file destination
     * @throws IOException if the file cannot be written
     */
    public void saveSequence(int seqId, Path file) throws IOException {
        byte[] state = saveSequence(seqId);
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, state);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Restores a sequence's state from a file written by {@link #saveSequence(int, Path)}.
     *
     * @param file the state file
     * @param seqId destination sequence
     * @throws IOException if the file cannot be read
     */
    public void restoreSequence(Path file, int seqId) throws IOException {
        restoreSequence(Files.readAllBytes(file), seqId);
    }

    // ---- properties ----

    /**
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * @return the options it was created with
     */
    public ContextOptions options() {
        return options;
    }

    /**
     * @return n_ctx as llama.cpp set it (may be rounded up from the option)
     */
    public int contextSize() {
        return nCtx;
    }

    /**
     * @return n_batch
     */
    public int batchSize() {
        return nBatch;
    }

    /**
     * @return n_ubatch
     */
    public int ubatchSize() {
        return nUbatch;
    }

    /**
     * @return n_seq_max
     */
    public int maxSequences() {
        return nSeqMax;
    }

    /**
     * @return the pooling llama.cpp uses
     */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * @return the number of threads llama.cpp uses for single-token decoding
     */
    public int threads() {
        return confined(() -> llama_h.llama_n_threads(ctx));
    }

    /**
     * Frees the context. Idempotent.
     *
     * @throws IllegalStateException if another thread is inside a call on it
     */
    @Override
    public void close() {
        if (handle.isClosed()) {
            return;
        }
        enter();
        try {
            invalidateResults();
            handle.close();
        } finally {
            exit();
        }
    }
}
