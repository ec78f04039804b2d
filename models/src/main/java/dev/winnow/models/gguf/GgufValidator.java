package dev.winnow.models.gguf;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Metadata rules that llama.cpp enforces with {@code GGML_ASSERT} or {@code GGML_ABORT} (killing the process, and with
 * it the JVM) instead of returning an error. {@link GgufFile} checks the file's structure; call
 * {@link #checkForLlama(GgufFile)} too before handing a file to {@code llama_model_load_from_file}.
 *
 * <p>Each rule was reproduced against llama.cpp v0.5.0 (node-llama-cpp 3.22.1) by editing one key of
 * stories260K.gguf; the source of each check is given with it:
 *
 * <ul>
 *   <li>{@code <arch>.block_count} from 1 to {@value #MAX_LAYERS} ({@code GGML_ASSERT(hparams.n_layer_all > 0 &&
 *       hparams.n_layer_all <= LLAMA_MAX_LAYERS)} in {@code llama_model::load_hparams}), and
 *       {@code <arch>.nextn_predict_layers} at most the block count;
 *   <li>{@code <arch>.expert_count} at most {@value #MAX_EXPERTS} ({@code LLAMA_MAX_EXPERTS}), and
 *       {@code <arch>.expert_used_count} at most the expert count;
 *   <li>every float key ending in {@code epsilon} finite and non-negative ({@code GGML_ASSERT(eps >= 0.0f)} in the
 *       CPU norm kernels, hit at the first decode);
 *   <li>tokens of type BYTE (6) only with a tokenizer that can decode them ({@code llama}, {@code gpt2},
 *       {@code t5}, {@code gemma4}, {@code hybriddna}, {@code whitespace}; otherwise {@code token_to_byte} calls
 *       {@code GGML_ABORT}), and spelled {@code <0xHH>} (it reads the two hex digits at index 3 with
 *       {@code std::string::substr}, which throws through the C API on a shorter text).
 * </ul>
 */
public final class GgufValidator {
  /** {@code LLAMA_MAX_LAYERS} of llama.cpp. */
  public static final int MAX_LAYERS = 512;
  /** {@code LLAMA_MAX_EXPERTS} of llama.cpp. */
  public static final int MAX_EXPERTS = 1024;

  private static final Set<String> BYTE_TOKEN_TOKENIZERS =
      Set.of("llama", "gpt2", "t5", "gemma4", "hybriddna", "whitespace");
  private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
  private static final int TOKEN_TYPE_BYTE = 6;

  private GgufValidator() {}

  /**
   * Checks the rules above.
   *
   * @param file a parsed file
   * @throws GgufFormatException naming the key's offset and the rule it breaks
   */
  public static void checkForLlama(GgufFile file) throws GgufFormatException {
    String source = file.path() == null ? "GGUF bytes" : file.path().toString();
    String arch = null;
    GgufValue archValue = file.metadata().get("general.architecture");
    if (archValue != null) {
      if (archValue.type() != GgufValueType.STRING) {
        throw new GgufFormatException(source, file.keyOffset("general.architecture"),
            "'general.architecture' must be a STRING, found " + archValue.describeType());
      }
      arch = archValue.asString();
    }
    if (arch != null) {
      long layers = range(file, source, arch + ".block_count", 1, MAX_LAYERS);
      range(file, source, arch + ".nextn_predict_layers", 0, layers < 0 ? MAX_LAYERS : layers);
      long experts = range(file, source, arch + ".expert_count", 0, MAX_EXPERTS);
      // llama.cpp treats an expert count of 0 or 1 as no experts
      range(file, source, arch + ".expert_used_count", 0, experts <= 1 ? 0 : experts);
    }
    for (Map.Entry<String, GgufValue> e : file.metadata().entrySet()) {
      GgufValue v = e.getValue();
      if (e.getKey().endsWith("epsilon")
          && (v.type() == GgufValueType.FLOAT32 || v.type() == GgufValueType.FLOAT64)) {
        double eps = v.asDouble();
        if (!(eps >= 0) || Double.isInfinite(eps)) {
          throw new GgufFormatException(source, file.keyOffset(e.getKey()),
              "'" + e.getKey() + "' is " + eps + ", expected a finite value >= 0 (llama.cpp asserts eps >= 0)");
        }
      }
    }
    checkByteTokens(file, source);
  }

  /** @return the key's value, or -1 when absent */
  private static long range(GgufFile f, String source, String key, long min, long max) throws GgufFormatException {
    GgufValue v = f.metadata().get(key);
    if (v == null) {
      return -1;
    }
    long n;
    try {
      n = v.asLong();
    } catch (IllegalStateException e) {
      if (v.type() == GgufValueType.ARRAY) {
        return -1;
      }
      throw new GgufFormatException(source, f.keyOffset(key), "'" + key + "' must be an integer, found "
          + v.describeType());
    }
    boolean unsigned64 = v.type() == GgufValueType.UINT64 && n < 0;
    if (unsigned64 || n < min || n > max) {
      throw new GgufFormatException(source, f.keyOffset(key), "'" + key + "' is "
          + (unsigned64 ? Long.toUnsignedString(n) : Long.toString(n)) + ", expected " + min + " to " + max
          + " (llama.cpp asserts this)");
    }
    return n;
  }

  private static void checkByteTokens(GgufFile f, String source) throws GgufFormatException {
    GgufValue types = f.metadata().get("tokenizer.ggml.token_type");
    GgufValue tokens = f.metadata().get(GgufFile.TOKENS_KEY);
    if (types == null || tokens == null || types.elementType() != GgufValueType.INT32
        || tokens.elementType() != GgufValueType.STRING) {
      return;
    }
    String model = f.value("tokenizer.ggml.model").filter(v -> v.type() == GgufValueType.STRING)
        .map(GgufValue::asString).orElse("");
    List<?> t = types.asList();
    List<String> texts = tokens.asStringList();
    for (int i = 0; i < Math.min(t.size(), texts.size()); i++) {
      if ((Integer) t.get(i) != TOKEN_TYPE_BYTE) {
        continue;
      }
      if (!BYTE_TOKEN_TOKENIZERS.contains(model)) {
        throw new GgufFormatException(source, f.keyOffset("tokenizer.ggml.token_type"), "token " + i
            + " has type BYTE, which tokenizer '" + model + "' cannot decode (llama.cpp aborts)");
      }
      if (!BYTE_TOKEN.matcher(texts.get(i)).matches()) {
        throw new GgufFormatException(source, f.keyOffset(GgufFile.TOKENS_KEY), "token " + i
            + " has type BYTE but its text is not <0xHH> (llama.cpp reads the hex digits at index 3)");
      }
    }
  }
}
