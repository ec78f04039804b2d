package dev.winnow.runtime;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.ggml_tensor;
import dev.winnow.models.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Activation taps and interventions of one {@link Context}, through llama.cpp's eval callback ({@code
 * llama_context_params.cb_eval}, called by {@code ggml_backend_sched_compute_splits}): subscribe listeners by
 * {@link TensorSelector}; they run on the decoding thread while the graph is computed. A tap reads, an intervention
 * edits the tensor in place before the next nodes read it, and either may stop the graph early ({@link
 * TensorView#stopGraph()}). Needs a context created with {@link ContextOptions#withTaps(boolean) taps on}.
 *
 * <p>Subscriptions may be added and closed from any thread; they take effect from the next decode.
 */
public final class Taps {
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final String[] opNames = new String[128];
    private Throwable failure;
    private String stoppedAfter;

    Taps() {}

    /** A registered listener; close it to unsubscribe. */
    public final class Subscription implements AutoCloseable {
        final TensorSelector selector;
        final Pattern pattern;
        final TensorListener listener;
        final boolean writable;

        Subscription(TensorSelector selector, TensorListener listener, boolean writable) {
            this.selector = selector;
            this.pattern = selector.pattern();
            this.listener = listener;
            this.writable = writable;
        }

        /**
         * @return what it listens to
         */
        public TensorSelector selector() {
            return selector;
        }

        /** Unsubscribes; idempotent. */
        @Override
        public void close() {
            subscriptions.remove(this);
        }
    }

    /**
     * Observes tensors; the listener gets a read-only view.
     *
     * @param selector which tensors
     * @param listener what to do with each
     * @return the subscription (close to remove)
     */
    public Subscription tap(TensorSelector selector, TensorListener listener) {
        Subscription s = new Subscription(selector, listener, false);
        subscriptions.add(s);
        return s;
    }

    /**
     * Edits tensors in place; the listener gets a writable view, and what it writes is what later nodes read.
     *
     * @param selector which tensors
     * @param listener the edit
     * @return the subscription (close to remove)
     */
    public Subscription intervene(TensorSelector selector, TensorListener listener) {
        Subscription s = new Subscription(selector, listener, true);
        subscriptions.add(s);
        return s;
    }

    /**
     * Stops the graph after the first tensor the selector matches (early exit, for when only early layers matter).
     *
     * @param selector where to stop
     * @return the subscription (close to remove)
     */
    public Subscription stopAfter(TensorSelector selector) {
        return tap(selector, TensorView::stopGraph);
    }

    /**
     * @return whether any subscription is active
     */
    public boolean isEmpty() {
        return subscriptions.isEmpty();
    }

    /** Resets per-decode state; called by Context before each decode. */
    void beginDecode() {
        failure = null;
        stoppedAfter = null;
    }

    Throwable failure() {
        return failure;
    }

    String stoppedAfter() {
        return stoppedAfter;
    }

    /** The body of the cb_eval upcall. Never throws: a failure is kept and stops the graph. */
    boolean evaluate(MemorySegment tensorPtr, boolean ask) {
        try {
            if (failure != null) {
                return ask; // ask for the node, then stop the graph at its ask=false call
            }
            if (subscriptions.isEmpty()) {
                return !ask; // want nothing; a node asked for before the last unsubscribe still completes
            }
            MemorySegment t = tensorPtr.reinterpret(ggml_tensor.sizeof());
            String name = name(t);
            String op = opName(ggml_tensor.op(t));
            if (ask) {
                for (Subscription s : subscriptions) {
                    if (matches(s, name, op)) {
                        return true;
                    }
                }
                return false;
            }
            return dispatch(t, name, op);
        } catch (Throwable e) {
            failure = e;
            return ask;
        }
    }

    private static boolean matches(Subscription s, String name, String op) {
        return (s.selector.op() == null || s.selector.op().equals(op))
                && s.pattern.matcher(name).matches();
    }

    private boolean dispatch(MemorySegment t, String name, String op) {
        long[] ne = new long[4];
        long[] nb = new long[4];
        for (int d = 0; d < 4; d++) {
            ne[d] = ggml_tensor.ne(t, d);
            nb[d] = ggml_tensor.nb(t, d);
        }
        int typeId = ggml_tensor.type(t);
        GgmlType type = GgmlType.byId(typeId)
                .orElseThrow(() -> new IllegalStateException("tensor " + name + " has unknown ggml type " + typeId));
        long nbytes = ggml_h.ggml_nbytes(t);
        MemorySegment buffer = ggml_tensor.buffer(t);
        boolean host = buffer.equals(MemorySegment.NULL) || ggml_h.ggml_backend_buffer_is_host(buffer);
        boolean stop = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data;
            if (host) {
                data = ggml_tensor.data(t).reinterpret(nbytes, arena, null);
            } else {
                data = arena.allocate(nbytes, 64);
                ggml_h.ggml_backend_tensor_get(t, data, 0, nbytes);
            }
            boolean written = false;
            for (Subscription s : subscriptions) {
                if (!matches(s, name, op)) {
                    continue;
                }
                TensorView view = new TensorView(name, layerOf(name), op, type, ne, nb, data, s.writable);
                s.listener.onTensor(view);
                written |= s.writable;
                if (view.stopRequested()) {
                    stop = true;
                }
            }
            if (written && !host) {
                ggml_h.ggml_backend_tensor_set(t, data, 0, nbytes);
            }
        }
        if (stop) {
            stoppedAfter = name;
            return false;
        }
        return true;
    }

    private static String name(MemorySegment t) {
        MemorySegment n = ggml_tensor.name(t);
        int len = 0;
        while (len < n.byteSize() && n.get(ValueLayout.JAVA_BYTE, len) != 0) {
            len++;
        }
        return new String(n.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private String opName(int op) {
        if (op < 0 || op >= opNames.length) {
            return ggml_h.ggml_op_name(op).getString(0);
        }
        String s = opNames[op];
        if (s == null) {
            s = ggml_h.ggml_op_name(op).getString(0);
            opNames[op] = s;
        }
        return s;
    }

    static int layerOf(String name) {
        int dash = name.lastIndexOf('-');
        if (dash < 0) {
            return -1;
        }
        int v = 0;
        int i = dash + 1;
        int start = i;
        while (i < name.length() && Character.isDigit(name.charAt(i))) {
            v = v * 10 + (name.charAt(i) - '0');
            i++;
        }
        return i == start ? -1 : v;
    }
}
