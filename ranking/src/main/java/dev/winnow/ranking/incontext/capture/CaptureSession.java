package dev.winnow.ranking.incontext.capture;

import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ReusableContext;
import dev.winnow.runtime.TensorListener;
import dev.winnow.runtime.TensorSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One llama.cpp context that an attention-reading ranker (BlockRank, listwise, ICR) decodes with: it creates the
 * context (unified KV cache, taps on, n_ubatch = n_batch, flash attention, KV type and threads from the
 * {@link InContextOptions}) and creates it again, larger, when a prompt needs more cells or a larger batch; it owns
 * the {@link QkCapture} tap of the chosen layers, a token batch of n_batch entries (context and batch held in a
 * {@link ReusableContext}), and the cancellation token of the rank call in progress.
 *
 * <p>Use per call: {@link #ensure}, {@link #begin} (attaches the token, empties KV cache and captured rows), fill
 * {@link #batch()} and {@link #decode} as often as needed, then {@link #end} in a {@code finally}; after a
 * {@link java.util.concurrent.CancellationException} call {@link #clear} so the next call starts clean. Confined to one
 * thread at a time, like its context.
 */
public final class CaptureSession implements AutoCloseable {

    private record Observer(TensorSelector selector, TensorListener listener) {}

    private final Model model;
    private final InContextOptions options;
    private final int[] layers;
    private final int maxSequences;
    private final List<Observer> observers = new ArrayList<>();
    private final ReusableContext slot = new ReusableContext();
    private QkCapture capture;
    private Cancellation check;

    /**
     * @param model        the model
     * @param options      flash attention, KV type and threads of the context
     * @param layers       0-based layers whose post-RoPE Q/K are captured (distinct, inside the model)
     * @param maxSequences n_seq_max of the context, 1..{@link ContextOptions#MAX_SEQUENCES}
     */
    public CaptureSession(Model model, InContextOptions options, int[] layers, int maxSequences) {
        if (maxSequences < 1 || maxSequences > ContextOptions.MAX_SEQUENCES) {
            throw new IllegalArgumentException(
                    "maxSequences " + maxSequences + " outside 1.." + ContextOptions.MAX_SEQUENCES);
        }
        this.model = model;
        this.options = options;
        this.layers = layers.clone();
        this.maxSequences = maxSequences;
    }

    /**
     * Makes sure the context holds at least {@code cells} KV cells and {@code batchTokens} tokens per decode; when it
     * does not (or none exists yet) it is replaced by one of {@code contextCells} cells rounded up to a multiple of
     * 256, with a new capture and batch (captured rows are lost; observers are tapped again).
     *
     * @param cells        KV cells the next prompt needs, >= 1
     * @param contextCells cells to allocate when a new context is needed, >= cells
     * @param batchTokens  n_batch = n_ubatch, >= 1
     */
    public void ensure(int cells, int contextCells, int batchTokens) {
        if (cells < 1 || contextCells < cells || batchTokens < 1) {
            throw new IllegalArgumentException(
                    "capture session: cells " + cells + ", context cells " + contextCells + ", batch " + batchTokens);
        }
        Predicate<Context> fits = c -> c.contextSize() >= cells && c.batchSize() >= batchTokens;
        if (slot.context() != null && fits.test(slot.context())) {
            return;
        }
        close(); // the capture's taps go before their context
        slot.ensure(
                fits,
                () -> model.newContext(ContextOptions.defaults()
                        .withContextSize((contextCells + 255) / 256 * 256)
                        .withBatchSize(batchTokens)
                        .withMaxSequences(maxSequences)
                        .withThreads(options.threads())
                        .withFlashAttention(options.flashAttention() ? FlashAttention.ENABLED : FlashAttention.DISABLED)
                        .withKvTypes(options.kvType(), options.kvType())
                        .withKvUnified(true)
                        .withTaps(true)),
                batchTokens);
        Context context = slot.context();
        capture = new QkCapture(context, layers);
        for (Observer o : observers) {
            context.taps().tap(o.selector(), o.listener());
        }
        if (check != null) {
            context.cancellation(check);
        }
    }

    /**
     * Observes a tensor of this session's context, now and in every context it creates later (diagnostics and tests).
     *
     * @param selector which tensors
     * @param listener called on the decoding thread
     */
    public void observe(TensorSelector selector, TensorListener listener) {
        observers.add(new Observer(selector, listener));
        if (slot.context() != null) {
            slot.context().taps().tap(selector, listener);
        }
    }

    /**
     * Starts a rank call's use of the context: attaches the call's token (to this context and to any that
     * {@link #ensure} creates before {@link #end}) and empties the KV cache and the captured rows.
     *
     * @param cancellation the call's token
     * @throws IllegalStateException before the first {@link #ensure}
     */
    public void begin(Cancellation cancellation) {
        requireContext();
        this.check = cancellation;
        slot.cancellation(cancellation);
        clear();
    }

    /** Detaches the token (llama.cpp then calls no Java code between graph nodes). */
    public void end() {
        check = null;
        slot.cancellation(null);
    }

    /** Empties the KV cache and the captured rows; does nothing before the first {@link #ensure}. */
    public void clear() {
        if (slot.context() != null) {
            slot.context().kvCache().clear(false);
            capture.clear();
        }
    }

    /**
     * Polls the call's token (between decodes).
     *
     * @param progress what has been done, for the message
     * @throws java.util.concurrent.CancellationException when it asks to stop
     * @throws IllegalStateException                      outside {@link #begin} / {@link #end}
     */
    public void throwIfAborted(String progress) {
        if (check == null) {
            throw new IllegalStateException("capture session: no rank call in progress (begin first)");
        }
        AbstractInContextRanker.throwIfCancelled(check, progress);
    }

    /**
     * Decodes {@link #batch()} while capturing.
     *
     * @param captureQ     append the Qcur rows of the batch
     * @param captureK     append the Kcur rows of the batch
     * @param stopWhenDone stop the graph after the last captured tensor (early exit)
     * @throws java.util.concurrent.CancellationException when the call's token stopped the decode
     * @throws IllegalStateException                      when the graph did not deliver every wanted tensor
     */
    public void decode(boolean captureQ, boolean captureK, boolean stopWhenDone) {
        requireContext();
        capture.begin(captureQ, captureK, stopWhenDone);
        slot.context().decode(slot.batch());
        capture.end();
    }

    /** The context (null before the first {@link #ensure}). */
    public Context context() {
        return slot.context();
    }

    /** The Q/K capture of the context (null before the first {@link #ensure}). */
    public QkCapture capture() {
        return capture;
    }

    /** The batch, n_batch entries with one sequence id each (null before the first {@link #ensure}). */
    public Batch batch() {
        return slot.batch();
    }

    private void requireContext() {
        if (slot.context() == null) {
            throw new IllegalStateException("capture session: no context yet (ensure first)");
        }
    }

    /** Frees capture, context and batch; a later {@link #ensure} creates new ones. */
    @Override
    public void close() {
        if (capture != null) {
            capture.close();
            capture = null;
        }
        slot.close();
    }
}
