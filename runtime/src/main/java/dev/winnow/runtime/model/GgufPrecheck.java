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
 * epsilons, BYTE tokens). Its {@link GgufFormatException} becomes an {@link InvalidModelException} that names the file,
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
   */
  public record Summary(int version, long tensorCount, long kvCount, long dataOffset, long dataBytes) {}

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
        List<GgufTensorInfo> tensors = f.tensors();
        GgufTensorInfo last = tensors.isEmpty() ? null : tensors.getLast();
        return new Summary(f.version(), tensors.size(), f.metadata().size(), f.dataOffset(),
            last == null ? 0 : last.offset() + last.byteSize());
      }
    } catch (GgufFormatException e) {
      throw new InvalidModelException(abs, "at byte " + e.offset() + ": " + e.problem());
    } catch (IOException e) {
      throw new InvalidModelException(abs, "cannot be read: " + e.getMessage());
    }
  }
}
