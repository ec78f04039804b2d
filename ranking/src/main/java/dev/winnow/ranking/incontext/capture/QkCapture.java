package dev.winnow.ranking.incontext.capture;

import dev.winnow.ranking.incontext.score.HeadShape;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.Taps;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.TensorView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Captures the post-RoPE queries and keys ({@code Qcur-L} / {@code Kcur-L}, the ROPE node of each name) of chosen
 * layers while a context decodes, appending one row per token in batch order, and optionally stops the graph once
 * every wanted tensor of the decode has been seen (early exit: later layers are not computed). The context must use
 * one ubatch per decode (n_ubatch = n_batch), so that one decode calls each tensor once.
 */
public final class QkCapture implements AutoCloseable {

    private final int[] layers;
    private final FloatRows[] q;
    private final FloatRows[] k;
    private final int[] qHeads;
    private final int[] kHeads;
    private final int[] headDim;
    private final List<Taps.Subscription> subscriptions = new ArrayList<>();
    private boolean wantQ;
    private boolean wantK;
    private boolean stopWhenDone;
    private int needed;
    private int seen;

    /**
     * @param context a context created with taps on
     * @param layers  the layers to capture (0-based, distinct)
     */
    public QkCapture(Context context, int[] layers) {
        this.layers = layers.clone();
        this.q = new FloatRows[layers.length];
        this.k = new FloatRows[layers.length];
        this.qHeads = new int[layers.length];
        this.kHeads = new int[layers.length];
        this.headDim = new int[layers.length];
        Taps taps = context.taps();
        for (int i = 0; i < layers.length; i++) {
            int slot = i;
            subscriptions.add(
                    taps.tap(TensorSelector.name("Qcur-" + layers[i]).withOp("ROPE"), v -> onTensor(slot, true, v)));
            subscriptions.add(
                    taps.tap(TensorSelector.name("Kcur-" + layers[i]).withOp("ROPE"), v -> onTensor(slot, false, v)));
        }
    }

    /** The captured layers. */
    public int[] layers() {
        return layers.clone();
    }

    /**
     * Prepares the next decode.
     *
     * @param captureQ     capture Qcur rows
     * @param captureK     capture Kcur rows
     * @param stopWhenDone stop the graph after the last wanted tensor of this decode
     */
    public void begin(boolean captureQ, boolean captureK, boolean stopWhenDone) {
        this.wantQ = captureQ;
        this.wantK = captureK;
        this.stopWhenDone = stopWhenDone;
        this.needed = layers.length * ((captureQ ? 1 : 0) + (captureK ? 1 : 0));
        this.seen = 0;
    }

    /** Checks that the last decode delivered every wanted tensor. @throws IllegalStateException when not */
    public void end() {
        if (seen != needed) {
            throw new IllegalStateException("captured " + seen + " of " + needed + " Qcur/Kcur ROPE tensors of layers "
                    + Arrays.toString(layers)
                    + ": the model's graph does not name them as a Llama graph does");
        }
    }

    private void onTensor(int slot, boolean isQ, TensorView v) {
        if (isQ ? !wantQ : !wantK) {
            return;
        }
        int dim = (int) v.ne(0);
        int heads = (int) v.ne(1);
        FloatRows[] target = isQ ? q : k;
        if (target[slot] == null) {
            target[slot] = new FloatRows(dim * heads);
        }
        (isQ ? qHeads : kHeads)[slot] = heads;
        headDim[slot] = dim;
        target[slot].append(v.toFloatArray());
        seen++;
        if (stopWhenDone && seen == needed) {
            v.stopGraph();
        }
    }

    /** Captured query rows of the i-th captured layer (null before any). */
    public FloatRows queries(int i) {
        return q[i];
    }

    /** Captured key rows of the i-th captured layer (null before any). */
    public FloatRows keys(int i) {
        return k[i];
    }

    /**
     * Head geometry of the i-th captured layer from the shapes seen by this capture (Q heads, dims) and by
     * {@code keySource} (KV heads), which may be this capture or another context's.
     *
     * @throws IllegalStateException when Q or K of that layer was never captured
     */
    public HeadShape shape(int i, QkCapture keySource) {
        if (qHeads[i] == 0 || keySource.kHeads[i] == 0) {
            throw new IllegalStateException("head shape of layer " + layers[i] + " unknown: Q and K not both captured");
        }
        return HeadShape.standard(qHeads[i], keySource.kHeads[i], headDim[i]);
    }

    /** Drops all captured rows. */
    public void clear() {
        for (int i = 0; i < layers.length; i++) {
            if (q[i] != null) {
                q[i].clear();
            }
            if (k[i] != null) {
                k[i].clear();
            }
        }
    }

    /** Unsubscribes. */
    @Override
    public void close() {
        subscriptions.forEach(Taps.Subscription::close);
    }
}
