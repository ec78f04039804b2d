package dev.winnow.bindings;

import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_model_params;
import dev.winnow.bindings.llama.llama_progress_callback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a fresh JVM by {@link UpcallAndLogTest}: loads a GGUF model through the bindings with a Java progress callback
 * (an upcall) and prints what the callback saw; llama.cpp's log goes wherever SLF4J sends logger dev.winnow.llama.
 */
public final class ModelLoadMain {

    private ModelLoadMain() {}

    /**
     * Entry point.
     *
     * @param args the model file
     */
    public static void main(String[] args) {
        List<Float> progress = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama_h.llama_model_default_params(arena);
            llama_model_params.progress_callback(
                    params,
                    llama_progress_callback.allocate(
                            (p, user) -> {
                                progress.add(p);
                                return true;
                            },
                            arena));
            MemorySegment model = llama_h.llama_model_load_from_file(arena.allocateFrom(args[0]), params);
            if (model.equals(MemorySegment.NULL)) {
                System.out.println("model: NULL");
                return;
            }
            System.out.println("n_layer=" + llama_h.llama_model_n_layer(model));
            System.out.println("n_vocab=" + llama_h.llama_vocab_n_tokens(llama_h.llama_model_get_vocab(model)));
            llama_h.llama_model_free(model);
        }
        System.out.println("progress calls=" + progress.size() + " last=" + progress.getLast());
    }
}
