package dev.winnow.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one native pointer (a llama_model, llama_context, llama_sampler, ...): frees it exactly once, on {@link
 * #close()} or, if the owner was never closed, from a {@link Cleaner} that also logs the leak.
 */
final class NativeHandle {
    static final Cleaner CLEANER = Cleaner.create();
    private static final Logger LOG = LoggerFactory.getLogger(NativeHandle.class);

    private final MemorySegment pointer;
    private final String what;
    private final Freeing freeing;
    private final Cleaner.Cleanable cleanable;

    /**
     * @param owner the Java object whose unreachability frees the pointer
     * @param what a description for messages ("model stories260K.gguf")
     * @param pointer the native pointer, not NULL
     * @param free the native free function (must not capture {@code owner})
     */
    NativeHandle(Object owner, String what, MemorySegment pointer, Consumer<MemorySegment> free) {
        this.pointer = pointer;
        this.what = what;
        this.freeing = new Freeing(what, pointer, free);
        this.cleanable = CLEANER.register(owner, freeing);
    }

    /**
     * @return the pointer
     * @throws IllegalStateException if closed
     */
    MemorySegment get() {
        if (freeing.done.get()) {
            throw new IllegalStateException(what + " is closed");
        }
        return pointer;
    }

    boolean isClosed() {
        return freeing.done.get();
    }

    /** Frees the pointer now; idempotent. */
    void close() {
        freeing.explicit = true;
        cleanable.clean();
    }

    private static final class Freeing implements Runnable {
        final String what;
        final MemorySegment pointer;
        final Consumer<MemorySegment> free;
        final AtomicBoolean done = new AtomicBoolean();
        volatile boolean explicit;

        Freeing(String what, MemorySegment pointer, Consumer<MemorySegment> free) {
            this.what = what;
            this.pointer = pointer;
            this.free = free;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                if (!explicit) {
                    LOG.warn("{} was not closed; freeing it from the cleaner", what);
                }
                free.accept(pointer);
            }
        }
    }
}
