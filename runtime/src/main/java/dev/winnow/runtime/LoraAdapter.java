package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A LoRA adapter loaded for a model ({@code llama_adapter_lora}); apply it to contexts of that model with a scale via
 * {@link Context#setLoraAdapters}. The effective scale of each adapted matrix is {@code scale * alpha / rank} (or
 * {@code scale} when the file's {@code adapter.lora.alpha} is 0), as llama.cpp computes it. Closed with its model at
 * the latest.
 */
public final class LoraAdapter implements AutoCloseable {
    private final Model model;
    private final Path path;
    private final NativeHandle handle;

    LoraAdapter(Model model, Path path, MemorySegment ptr) {
        this.model = model;
        this.path = path;
        this.handle =
                new NativeHandle(this, "LoRA adapter " + path.getFileName(), ptr, llama_h::llama_adapter_lora_free);
    }

    MemorySegment pointer() {
        return handle.get();
    }

    /**
     * @return the model it adapts
     */
    public Model model() {
        return model;
    }

    /**
     * @return the file it was loaded from
     */
    public Path path() {
        return path;
    }

    boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the adapter (remove it from contexts first); idempotent. */
    @Override
    public void close() {
        if (!handle.isClosed()) {
            handle.close();
            model.adapterClosed(this);
        }
    }
}
