package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_model_params;
import dev.winnow.bindings.llama.llama_progress_callback;
import dev.winnow.runtime.model.GgufPrecheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A loaded model ({@code llama_model}): weights, vocabulary and metadata. Create one {@link Context} per thread of work
 * with {@link #newContext(ContextOptions)}. Close it after its contexts.
 *
 * <p><b>Threads.</b> A model is safe to share: any number of threads may call its methods, its {@link #vocabulary()}
 * (tokenize, detokenize, pieces) and {@link #newContext} at the same time. {@link #close()} never frees the model under
 * another thread: it waits for the calls on the model that are in progress on other threads (tokenize, newContext,
 * metadata reads; these are short) to return, then refuses with {@link IllegalStateException} if contexts created from
 * the model are still open (a context in use by a decode is open), and otherwise frees it; calls that start after
 * that throw {@link IllegalStateException} ("closed"). Calling {@link #close()} from inside a call on the same model
 * (a progress or tap listener) throws instead of deadlocking. Contexts have their own rule: see {@link Context}.
 */
public final class Model implements AutoCloseable {
    private final NativeHandle handle;
    private final Path path;
    private final Vocabulary vocabulary;
    private final Map<String, String> metadata;
    private final AtomicInteger openContexts = new AtomicInteger();
    private final boolean vocabOnly;
    private final Set<LoraAdapter> adapters = ConcurrentHashMap.newKeySet();
    /** Read lock: a call using the native model is in progress; write lock: close. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

    private final long positionRows;

    private Model(Path path, MemorySegment ptr, boolean vocabOnly, long positionRows) {
        this.path = path;
        this.vocabOnly = vocabOnly;
        this.positionRows = positionRows;
        this.handle = new NativeHandle(this, "model " + path.getFileName(), ptr, llama_h::llama_model_free);
        this.vocabulary = new Vocabulary(this, llama_h.llama_model_get_vocab(ptr));
        this.metadata = readMetadata(ptr);
    }

    static Model load(Path path, ModelOptions options) {
        Llama.load();
        Path abs = path.toAbsolutePath();
        CStrings.check(abs.toString(), "model path");
        GgufPrecheck.Summary summary = GgufPrecheck.check(abs);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama_h.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(params, options.gpuLayers() < 0 ? Integer.MAX_VALUE : options.gpuLayers());
            if (!options.mmap()) {
                llama_model_params.load_mode(params, llama_h.LLAMA_LOAD_MODE_NONE());
            }
            llama_model_params.vocab_only(params, options.vocabOnly());
            llama_model_params.check_tensors(params, options.checkTensors());
            RuntimeException[] listenerFailure = new RuntimeException[1];
            if (options.progress() != null) {
                MemorySegment cb = llama_progress_callback.allocate(
                        (progress, userData) -> {
                            try {
                                double f = Math.min(1.0, Math.max(0.0, progress));
                                options.progress()
                                        .onProgress(
                                                Math.round(f * ModelOptions.PROGRESS_TOTAL),
                                                ModelOptions.PROGRESS_TOTAL,
                                                "millionths");
                                return true;
                            } catch (RuntimeException e) {
                                listenerFailure[0] = e;
                                return false;
                            }
                        },
                        arena);
                llama_model_params.progress_callback(params, cb);
            }
            NativeErrors.clear();
            MemorySegment ptr = llama_h.llama_model_load_from_file(arena.allocateFrom(abs.toString()), params);
            if (listenerFailure[0] != null) {
                if (!ptr.equals(MemorySegment.NULL)) {
                    llama_h.llama_model_free(ptr);
                }
                throw new LlamaException(
                        "loading " + abs + " stopped: the progress listener threw", listenerFailure[0]);
            }
            if (ptr.equals(MemorySegment.NULL)) {
                throw new LlamaException(
                        "llama.cpp could not load model file " + abs + NativeErrors.reason("no reason logged"));
            }
            return new Model(abs, ptr, options.vocabOnly(), summary.positionRows());
        }
    }

    private static Map<String, String> readMetadata(MemorySegment m) {
        int n = llama_h.llama_model_meta_count(m);
        Map<String, String> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            for (int i = 0; i < n; i++) {
                int len = llama_h.llama_model_meta_key_by_index(m, i, buf, buf.byteSize());
                if (len < 0) {
                    continue;
                }
                if (len >= buf.byteSize()) {
                    buf = arena.allocate(len + 1L);
                    llama_h.llama_model_meta_key_by_index(m, i, buf, buf.byteSize());
                }
                String key = buf.getString(0);
                len = llama_h.llama_model_meta_val_str_by_index(m, i, buf, buf.byteSize());
                if (len >= buf.byteSize()) {
                    buf = arena.allocate(len + 1L);
                    llama_h.llama_model_meta_val_str_by_index(m, i, buf, buf.byteSize());
                }
                out.put(key, len < 0 ? "" : buf.getString(0));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    MemorySegment pointer() {
        return handle.get();
    }

    /**
     * Runs a native call on the model while {@link #close()} cannot free it (close waits for it to return).
     *
     * @throws IllegalStateException if the model is closed
     */
    <T> T use(Function<MemorySegment, T> call) {
        Lock lock = lifecycle.readLock();
        lock.lock();
        try {
            return call.apply(handle.get());
        } finally {
            lock.unlock();
        }
    }

    void contextOpened() {
        openContexts.incrementAndGet();
    }

    void contextClosed() {
        openContexts.decrementAndGet();
    }

    /**
     * Creates a context with the given options.
     *
     * @param options context options
     * @return a new context; close it before the model
     * @throws IllegalStateException if the model is closed or was loaded vocabulary-only
     * @throws IllegalArgumentException if the options exceed what the model or memory allows
     */
    public Context newContext(ContextOptions options) {
        if (vocabOnly) {
            throw new IllegalStateException(
                    "model " + path + " was loaded vocabulary-only: it has no weights for a context");
        }
        // n_ctx may exceed a learned position table (BERT): a context holds several texts in turn or side by side, each
        // from position 0. What would crash llama.cpp is a position past the table, so Context's batch validation
        // checks
        // every entry's position against positionLimit() (checkPosition), padding of n_ctx included.
        return use(p -> new Context(this, options));
    }

    /**
     * The number of positions the model can encode: the rows of its learned position table
     * ({@code position_embd.weight}: BERT-style encoders, GPT-2; {@code <arch>.context_length} rows for BERT), or
     * {@link Integer#MAX_VALUE} for models without one (RoPE models encode any position). llama.cpp looks positions up in
     * that table with {@code ggml_get_rows}, which aborts the process ({@code GGML_ASSERT(i01 >= 0 && i01 < ne01)}) for
     * a position past it.
     *
     * @return the position limit
     */
    public int positionLimit() {
        return positionRows < 0 || positionRows > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) positionRows;
    }

    /**
     * Checks one batch entry's position against {@link #positionLimit()}; {@link Context}'s batch validation calls it
     * for each entry, so a position in llama.cpp's n_ctx padding past the table is refused instead of crashing.
     *
     * @param entry the entry's index in the batch, for the message
     * @param position its position
     * @throws IllegalArgumentException naming the model, the entry and the limit
     */
    public void checkPosition(int entry, int position) {
        if (position >= positionLimit()) {
            throw new IllegalArgumentException("batch entry " + entry + ": position " + position + " is past the "
                    + positionLimit() + " positions of model " + path + " (its position_embd.weight table)");
        }
    }

    /**
     * @return a context with {@link ContextOptions#defaults()}
     */
    public Context newContext() {
        return newContext(ContextOptions.defaults());
    }

    /**
     * Loads a LoRA adapter GGUF for this model (llama_adapter_lora_init).
     *
     * @param file the adapter file ({@code general.type} "adapter", {@code adapter.type} "lora", same architecture)
     * @return the adapter; apply it with {@link Context#setLoraAdapters}
     * @throws dev.winnow.runtime.model.InvalidModelException if the file is missing or not valid GGUF
     * @throws LlamaException if llama.cpp refuses it (other architecture, shapes that do not match the model)
     */
    public LoraAdapter loadLora(Path file) {
        Path abs = file.toAbsolutePath();
        CStrings.check(abs.toString(), "LoRA adapter path");
        GgufPrecheck.check(abs);
        return use(m -> loadLora(m, abs));
    }

    private LoraAdapter loadLora(MemorySegment m, Path abs) {
        try (Arena arena = Arena.ofConfined()) {
            NativeErrors.clear();
            MemorySegment p = llama_h.llama_adapter_lora_init(m, arena.allocateFrom(abs.toString()));
            if (p.equals(MemorySegment.NULL)) {
                throw new LlamaException("llama.cpp refused LoRA adapter " + abs + " for model " + path.getFileName()
                        + NativeErrors.reason("architecture, general.type/adapter.type or tensor shapes"));
            }
            LoraAdapter a = new LoraAdapter(this, abs, p);
            adapters.add(a);
            return a;
        }
    }

    void adapterClosed(LoraAdapter a) {
        adapters.remove(a);
    }

    /**
     * @return the model's vocabulary (lives as long as the model)
     */
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * @return the file it was loaded from (absolute)
     */
    public Path path() {
        return path;
    }

    /**
     * @return every GGUF key/value as llama.cpp renders it as text (arrays are summarised by llama.cpp), in file order
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * @return {@code general.architecture} ("llama", "bert", ...)
     */
    public String architecture() {
        return metadata.getOrDefault("general.architecture", "");
    }

    /**
     * @return number of layers (llama_model_n_layer)
     */
    public int layerCount() {
        return use(llama_h::llama_model_n_layer);
    }

    /**
     * @return number of attention (query) heads (llama_model_n_head)
     */
    public int headCount() {
        return use(llama_h::llama_model_n_head);
    }

    /**
     * @return number of key/value heads (llama_model_n_head_kv; smaller than {@link #headCount()} with grouped-query
     *     attention)
     */
    public int headCountKv() {
        return use(llama_h::llama_model_n_head_kv);
    }

    /**
     * @return embedding width n_embd (llama_model_n_embd)
     */
    public int embeddingSize() {
        return use(llama_h::llama_model_n_embd);
    }

    /**
     * @return the context length the model was trained with (llama_model_n_ctx_train)
     */
    public int trainingContextSize() {
        return use(llama_h::llama_model_n_ctx_train);
    }

    /**
     * @return total parameter count (llama_model_n_params)
     */
    public long parameterCount() {
        return use(llama_h::llama_model_n_params);
    }

    /**
     * @return total bytes of the weights (llama_model_size)
     */
    public long sizeBytes() {
        return use(llama_h::llama_model_size);
    }

    /**
     * @return whether the model has an encoder (BERT-like, T5): use {@link Context#encode}
     */
    public boolean hasEncoder() {
        return use(llama_h::llama_model_has_encoder);
    }

    /**
     * @return whether the model has a decoder (causal language models)
     */
    public boolean hasDecoder() {
        return use(llama_h::llama_model_has_decoder);
    }

    /**
     * @return the model's default chat template (GGUF {@code tokenizer.chat_template}), if it has one
     */
    public Optional<String> chatTemplate() {
        return use(m -> {
            MemorySegment s = llama_h.llama_model_chat_template(m, MemorySegment.NULL);
            return s.equals(MemorySegment.NULL) ? Optional.<String>empty() : Optional.of(s.getString(0));
        });
    }

    /**
     * @return llama.cpp's one-line description ("llama ?B all F32")
     */
    public String description() {
        return use(m -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(256);
                llama_h.llama_model_desc(m, buf, buf.byteSize());
                return buf.getString(0);
            }
        });
    }

    /**
     * Frees the model. Idempotent. Waits for calls on the model in progress on other threads (tokenize, newContext, ...)
     * to return; never frees it under them.
     *
     * @throws IllegalStateException if contexts created from it are still open, or if called from inside a call on this
     *     model on the same thread
     */
    @Override
    public void close() {
        if (handle.isClosed()) {
            return;
        }
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException("model " + path.getFileName()
                    + " cannot be closed from inside a call on it (a listener of this thread)");
        }
        Lock lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (handle.isClosed()) {
                return;
            }
            int open = openContexts.get();
            if (open > 0) {
                throw new IllegalStateException(
                        "model " + path.getFileName() + " still has " + open + " open context(s): close them first");
            }
            for (LoraAdapter a : List.copyOf(adapters)) {
                a.close();
            }
            handle.close();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Model[" + path.getFileName() + ", " + architecture() + "]";
    }
}
