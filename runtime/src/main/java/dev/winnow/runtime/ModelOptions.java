package dev.winnow.runtime;

import dev.winnow.models.ProgressListener;

/**
 * How to load a model ({@code struct llama_model_params}).
 *
 * @param mmap memory-map the file (llama.cpp's default) instead of reading it into memory
 * @param gpuLayers layers to offload to a GPU backend; -1 all, 0 none (the CPU libraries ignore it)
 * @param vocabOnly load only the vocabulary and metadata, no weights (no context can be created)
 * @param checkTensors let llama.cpp validate tensor data while loading (slower)
 * @param progress told the load progress on the loading thread, in millionths of the whole ({@code onProgress(done,
 *     1_000_000, "millionths")}, ending at 1,000,000); null for none
 */
public record ModelOptions(
        boolean mmap, int gpuLayers, boolean vocabOnly, boolean checkTensors, ProgressListener progress) {

    /**
     * @throws IllegalArgumentException if gpuLayers is below -1
     */
    public ModelOptions {
        if (gpuLayers < -1) {
            throw new IllegalArgumentException("gpuLayers must be -1 (all) or >= 0, got " + gpuLayers);
        }
    }

    /**
     * Every layer is offloaded when the loaded llama.cpp libraries have a GPU backend ({@code WINNOW_LLAMA_VARIANT=cuda}
     * or a CUDA build in {@code WINNOW_LLAMA_LIB_DIR} is then the only change a user makes); the CPU libraries ignore
     * the setting. {@link #withGpuLayers(int) withGpuLayers(0)} keeps a GPU build on the CPU.
     *
     * @return mmap on, all layers on the GPU backend if there is one, weights loaded, no tensor check, no progress
     *     listener
     */
    public static ModelOptions defaults() {
        return new ModelOptions(true, -1, false, false, null);
    }

    /**
     * @param on memory-map the file
     * @return a copy with mmap set
     */
    public ModelOptions withMmap(boolean on) {
        return new ModelOptions(on, gpuLayers, vocabOnly, checkTensors, progress);
    }

    /**
     * @param n layers to offload (-1 all)
     * @return a copy with gpuLayers set
     */
    public ModelOptions withGpuLayers(int n) {
        return new ModelOptions(mmap, n, vocabOnly, checkTensors, progress);
    }

    /**
     * @param on load only the vocabulary
     * @return a copy with vocabOnly set
     */
    public ModelOptions withVocabOnly(boolean on) {
        return new ModelOptions(mmap, gpuLayers, on, checkTensors, progress);
    }

    /**
     * @param on validate tensor data while loading
     * @return a copy with checkTensors set
     */
    public ModelOptions withCheckTensors(boolean on) {
        return new ModelOptions(mmap, gpuLayers, vocabOnly, on, progress);
    }

    /** The {@code total} of model-load progress: llama.cpp's fraction is reported in millionths. */
    public static final long PROGRESS_TOTAL = 1_000_000;

    /**
     * @param listener told the load progress in millionths ({@code done} of {@link #PROGRESS_TOTAL}, unit
     *     "millionths"); null for none
     * @return a copy with the progress listener set
     */
    public ModelOptions withProgress(ProgressListener listener) {
        return new ModelOptions(mmap, gpuLayers, vocabOnly, checkTensors, listener);
    }
}
