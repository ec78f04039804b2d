package dev.winnow.runtime;

import dev.winnow.bindings.LlamaNative;
import dev.winnow.bindings.llama.llama_h;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The entry point: loads llama.cpp's native libraries and backends once per JVM ({@link LlamaNative#load()}) and
 * loads models. Thread-safe; there is one instance.
 *
 * <pre>{@code
 * Llama llama = Llama.load();
 * try (Model model = llama.loadModel(Path.of("stories260K.gguf"))) { ... }
 * }</pre>
 */
public final class Llama {
    private static volatile Llama instance;

    private Llama() {}

    /**
     * Loads the native library (idempotent, thread-safe) and initialises llama.cpp's backend.
     *
     * @return the one instance
     * @throws IllegalStateException if the native library cannot be found or loaded (the message names the paths tried)
     */
    public static Llama load() {
        Llama l = instance;
        if (l == null) {
            synchronized (Llama.class) {
                l = instance;
                if (l == null) {
                    LlamaNative.load();
                    llama_h.llama_backend_init();
                    l = new Llama();
                    instance = l;
                }
            }
        }
        return l;
    }

    /**
     * Loads a GGUF model with default options (mmap, CPU).
     *
     * @param path the .gguf file
     * @return the model; close it when done
     * @throws dev.winnow.runtime.model.InvalidModelException if the file is missing or not a valid GGUF file
     * @throws LlamaException if llama.cpp refuses the model (for example an unknown architecture)
     */
    public Model loadModel(Path path) {
        return loadModel(path, ModelOptions.defaults());
    }

    /**
     * Loads a GGUF model. The file's header is checked in Java first ({@link
     * dev.winnow.runtime.model.GgufPrecheck}), so that a corrupt file gives an exception rather than a native crash.
     *
     * @param path the .gguf file
     * @param options load options
     * @return the model; close it when done
     * @throws dev.winnow.runtime.model.InvalidModelException if the file is missing or not a valid GGUF file
     * @throws LlamaException if llama.cpp refuses the model
     */
    public Model loadModel(Path path, ModelOptions options) {
        return Model.load(path, options);
    }

    /**
     * Which llama.cpp build this JVM loaded.
     *
     * @param llamaCppRelease the llama.cpp release named in the build's metadata; empty for a build without release
     *     metadata
     * @param variant the variant setting in effect ({@code CPU}, {@code CUDA}, {@code CUDA_EXT} or {@code VULKAN})
     * @param directory the directory the libraries were loaded from
     */
    public record NativeLibrary(Optional<String> llamaCppRelease, String variant, Path directory) {}

    /**
     * Describes the loaded native library (for diagnostics such as the demo's set-up lines), so that callers need not
     * reach into the bindings module.
     *
     * @return the release, variant and directory of the loaded llama.cpp build
     */
    public NativeLibrary nativeLibrary() {
        LlamaNative lib = LlamaNative.load();
        return new NativeLibrary(lib.llamaCppRelease(), lib.variant().name(), lib.libraryDir());
    }

    /**
     * @return llama.cpp's system information line (SIMD features, backends), from {@code llama_print_system_info}
     */
    public String systemInfo() {
        return llama_h.llama_print_system_info().getString(0);
    }
}
