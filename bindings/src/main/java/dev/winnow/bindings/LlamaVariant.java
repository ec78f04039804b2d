package dev.winnow.bindings;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The prebuilt llama.cpp variants node-llama-cpp publishes on the npm registry, each a package
 * {@code @node-llama-cpp/<directory>} whose libraries Winnow caches under {@code $WINNOW_HOME/llama.cpp/<version>/<directory>}.
 * Only {@link #CPU} is exercised on Winnow's test machines; the GPU variants are a tested path choice only.
 */
public enum LlamaVariant {
    /** CPU only; one {@code libggml-cpu-<microarch>.so} per x86-64 CPU family, chosen at load time. */
    CPU("cpu", "linux-x64"),
    /** NVIDIA GPUs through CUDA (needs the CUDA runtime libraries on the system). */
    CUDA("cuda", "linux-x64-cuda"),
    /** NVIDIA GPUs through CUDA, with the CUDA libraries bundled in the package. */
    CUDA_EXT("cuda-ext", "linux-x64-cuda-ext"),
    /** GPUs through Vulkan. */
    VULKAN("vulkan", "linux-x64-vulkan");

    private final String setting;
    private final String directory;

    LlamaVariant(String setting, String directory) {
        this.setting = setting;
        this.directory = directory;
    }

    /**
     * The value of {@code WINNOW_LLAMA_VARIANT} that selects this variant.
     *
     * @return {@code cpu}, {@code cuda}, {@code cuda-ext} or {@code vulkan}
     */
    public String setting() {
        return setting;
    }

    /**
     * The directory name of the variant in the cache, which is also the npm package's suffix.
     *
     * @return for example {@code linux-x64-cuda}
     */
    public String directory() {
        return directory;
    }

    /**
     * Parses a setting value, case-insensitively.
     *
     * @param value the value of {@code WINNOW_LLAMA_VARIANT} or {@code winnow.llama.variant}
     * @return the variant
     * @throws NativeLibraryException if the value names no variant (the message lists the valid ones)
     */
    public static LlamaVariant fromSetting(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (LlamaVariant variant : values()) {
            if (variant.setting.equals(v)) {
                return variant;
            }
        }
        throw new NativeLibraryException("unknown llama.cpp variant '" + value + "' (WINNOW_LLAMA_VARIANT / "
                + "winnow.llama.variant): expected one of "
                + Arrays.stream(values()).map(LlamaVariant::setting).collect(Collectors.joining(", ")));
    }
}
