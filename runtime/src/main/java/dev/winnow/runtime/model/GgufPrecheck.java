package dev.winnow.runtime.model;

import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufFormatException;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The check every model and adapter file passes before {@code llama_model_load_from_file} or
 * {@code llama_adapter_lora_init} sees it, since a failed {@code GGML_ASSERT} in llama.cpp aborts the whole JVM:
 * a missing path, a directory, an unreadable or empty file are refused here; the rest is the models module's
 * validating reader, {@link GgufFile#open} (magic, version, every count and length against the file size, value and
 * ggml types, dimensions, alignment, tensor data inside the file in llama.cpp's packed layout, duplicate token texts)
 * and {@link GgufValidator#checkForLlama} (the hyperparameters llama.cpp asserts on: block and expert counts, norm
 * epsilons, BYTE tokens, per-layer head and feed-forward counts, and every tensor's type against the CPU kernel of its
 * role), and for a split model every other shard ({@link GgufValidator#checkShards}: each shard's header, tensor
 * table and data layout, its split keys and their types, its tensors' types). Its {@link GgufFormatException} becomes an {@link InvalidModelException} that names the file,
 * the byte offset and the problem. Tensor data is memory-mapped, not read.
 */
public final class GgufPrecheck {

    private GgufPrecheck() {}

    /**
     * What the reader found, for callers that want the figures.
     *
     * @param version GGUF version (2 or 3)
     * @param tensorCount number of tensors
     * @param kvCount number of key/value pairs
     * @param dataOffset absolute file offset of the data section
     * @param dataBytes bytes from the data section start to the end of the last tensor
     * @param positionRows rows of the learned position table ({@code position_embd.weight}), -1 when the model has
     *     none: no token may be placed at a position past it ({@link GgufValidator#positionRows})
     */
    public record Summary(
            int version, long tensorCount, long kvCount, long dataOffset, long dataBytes, long positionRows) {

        /**
         * A summary of a model without a position table.
         *
         * @param version GGUF version
         * @param tensorCount number of tensors
         * @param kvCount number of key/value pairs
         * @param dataOffset absolute file offset of the data section
         * @param dataBytes bytes of tensor data
         */
        public Summary(int version, long tensorCount, long kvCount, long dataOffset, long dataBytes) {
            this(version, tensorCount, kvCount, dataOffset, dataBytes, -1);
        }
    }

    /**
     * Checks that {@code file} is a GGUF file llama.cpp can load without aborting.
     *
     * @param file the model or adapter path
     * @return the figures read from the header
     * @throws InvalidModelException naming the file and the problem (with its byte offset for a format error), for
     *     every refused input
     */
    public static Summary check(Path file) {
        Path abs = file.toAbsolutePath();
        if (!Files.exists(abs)) {
            throw new InvalidModelException(abs, "does not exist");
        }
        if (Files.isDirectory(abs)) {
            throw new InvalidModelException(abs, "is a directory, not a GGUF file");
        }
        if (!Files.isRegularFile(abs)) {
            throw new InvalidModelException(abs, "is not a regular file");
        }
        if (!Files.isReadable(abs)) {
            throw new InvalidModelException(abs, "is not readable");
        }
        try {
            if (Files.size(abs) == 0) {
                throw new InvalidModelException(abs, "is empty (0 bytes)");
            }
            try (GgufFile f = GgufFile.open(abs)) {
                GgufValidator.checkForLlama(f);
                GgufValidator.checkShards(f);
                List<GgufTensorInfo> tensors = f.tensors();
                GgufTensorInfo last = tensors.isEmpty() ? null : tensors.getLast();
                return new Summary(
                        f.version(),
                        tensors.size(),
                        f.metadata().size(),
                        f.dataOffset(),
                        last == null ? 0 : last.offset() + last.byteSize(),
                        GgufValidator.positionRows(f));
            }
        } catch (GgufFormatException e) {
            Path shard = shardOf(e, abs);
            if (shard != null) {
                throw new InvalidModelException(abs, "shard " + shard + " at byte " + e.offset() + ": " + e.problem());
            }
            throw new InvalidModelException(abs, "at byte " + e.offset() + ": " + e.problem());
        } catch (IOException e) {
            throw new InvalidModelException(abs, "cannot be read: " + e.getMessage());
        }
    }

    /** @return the other shard an exception is about, or null when it is about {@code file} itself */
    private static Path shardOf(GgufFormatException e, Path file) {
        String msg = e.getMessage();
        int at = msg.indexOf(": at byte " + e.offset() + ": ");
        String source = at > 0 ? msg.substring(0, at) : "";
        if (source.isEmpty() || source.equals(file.toString()) || source.equals("GGUF bytes")) {
            return null;
        }
        return Path.of(source);
    }
}
