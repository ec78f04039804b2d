package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A model's tokenizer ({@code llama_vocab}): text to token ids and back, special tokens, per-token text and
 * attributes. Thread-safe (llama.cpp's vocabulary is read-only after loading); {@link Model#close()} waits for calls
 * in progress here and later calls throw {@link IllegalStateException}. Token ids are validated in Java: llama.cpp
 * aborts on an id outside [0, {@link #size()}). Text is passed to llama.cpp with its length, so a NUL character in it
 * is tokenized like any other character, not a cut.
 */
public final class Vocabulary {
    /** Token attribute bits of {@code enum llama_token_attr}. */
    public static final int ATTR_UNKNOWN = 1 << 1;
    /** Control token ({@code <s>}, {@code </s>}, ...). */
    public static final int ATTR_CONTROL = 1 << 3;
    /** User-defined token. */
    public static final int ATTR_USER_DEFINED = 1 << 4;
    /** Byte-fallback token ({@code <0xF0>}). */
    public static final int ATTR_BYTE = 1 << 5;

    private final Model model;
    private final MemorySegment vocab;
    private final int size;

    Vocabulary(Model model, MemorySegment vocab) {
        this.model = model;
        this.vocab = vocab;
        this.size = llama_h.llama_vocab_n_tokens(vocab);
    }

    MemorySegment pointerForSampler() {
        return ptr();
    }

    private MemorySegment ptr() {
        model.pointer(); // throws if the model is closed
        return vocab;
    }

    /**
     * @return number of tokens n_vocab (the length of a logits row)
     */
    public int size() {
        return size;
    }

    void checkToken(int token) {
        if (token < 0 || token >= size) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + size + ")");
        }
    }

    /**
     * Tokenizes text (llama_tokenize).
     *
     * @param text the text
     * @param addSpecial add the model's BOS/EOS as its vocabulary asks (for a whole prompt: true)
     * @param parseSpecial turn special-token text such as {@code <s>} into the special token instead of plain text
     * @return token ids
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        return model.use(m -> {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocate(Math.max(1, utf8.length));
                MemorySegment.copy(utf8, 0, in, ValueLayout.JAVA_BYTE, 0, utf8.length);
                int cap = utf8.length + 8;
                MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, cap);
                int n = llama_h.llama_tokenize(vocab, in, utf8.length, out, cap, addSpecial, parseSpecial);
                if (n < 0) {
                    cap = -n;
                    out = arena.allocate(ValueLayout.JAVA_INT, cap);
                    n = llama_h.llama_tokenize(vocab, in, utf8.length, out, cap, addSpecial, parseSpecial);
                }
                if (n < 0) {
                    throw new LlamaException(
                            "llama_tokenize failed (" + n + ") on a text of " + utf8.length + " bytes");
                }
                return out.asSlice(0, 4L * n).toArray(ValueLayout.JAVA_INT);
            }
        });
    }

    /**
     * Tokenizes a whole prompt: {@code tokenize(text, true, false)}.
     *
     * @param text the prompt
     * @return token ids, starting with BOS when the model adds one
     */
    public int[] tokenize(String text) {
        return tokenize(text, true, false);
    }

    /**
     * Turns tokens back into text (llama_detokenize).
     *
     * @param tokens token ids, each in [0, size)
     * @param removeSpecial drop a leading BOS / trailing EOS the vocabulary adds
     * @param unparseSpecial render special tokens as their text ({@code <s>}) instead of leaving them out
     * @return the text
     */
    public String detokenize(int[] tokens, boolean removeSpecial, boolean unparseSpecial) {
        return model.use(m -> {
            for (int t : tokens) {
                checkToken(t);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_INT, tokens);
                int cap = tokens.length * 8 + 16;
                MemorySegment out = arena.allocate(cap);
                int n = llama_h.llama_detokenize(vocab, in, tokens.length, out, cap, removeSpecial, unparseSpecial);
                if (n < 0) {
                    cap = -n;
                    out = arena.allocate(cap);
                    n = llama_h.llama_detokenize(vocab, in, tokens.length, out, cap, removeSpecial, unparseSpecial);
                }
                if (n < 0) {
                    throw new LlamaException("llama_detokenize failed (" + n + ") on " + tokens.length + " tokens");
                }
                return new String(out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            }
        });
    }

    /**
     * The bytes a token contributes to the output text (llama_token_to_piece, no left strip). A byte-fallback token
     * gives one byte that may be part of a multi-byte character: feed pieces to a {@link
     * dev.winnow.runtime.generate.Utf8StreamDecoder}.
     *
     * @param token token id
     * @param special render control tokens as their text
     * @return the piece's bytes (possibly empty)
     */
    public byte[] piece(int token, boolean special) {
        checkToken(token);
        try (Arena arena = Arena.ofConfined()) {
            return piece(token, special, arena.allocate(64));
        }
    }

    /** Writes the piece through a caller-owned scratch buffer of at least 64 bytes (the generation loop's). */
    byte[] piece(int token, boolean special, MemorySegment scratch) {
        return model.use(m -> {
            int n = llama_h.llama_token_to_piece(vocab, token, scratch, (int) scratch.byteSize(), 0, special);
            if (n < 0) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment big = arena.allocate(-n);
                    n = llama_h.llama_token_to_piece(vocab, token, big, -n, 0, special);
                    return big.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
                }
            }
            return scratch.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        });
    }

    /**
     * @param token token id
     * @return the token's text as stored in the vocabulary (llama_vocab_get_text; SentencePiece uses U+2581 for space)
     */
    public String text(int token) {
        return model.use(m -> {
            checkToken(token);
            return llama_h.llama_vocab_get_text(vocab, token).getString(0);
        });
    }

    /**
     * @param token token id
     * @return its score (llama_vocab_get_score)
     */
    public float score(int token) {
        return model.use(m -> {
            checkToken(token);
            return llama_h.llama_vocab_get_score(vocab, token);
        });
    }

    /**
     * @param token token id
     * @return attribute bits of {@code enum llama_token_attr} ({@link #ATTR_CONTROL}, {@link #ATTR_BYTE}, ...)
     */
    public int attributes(int token) {
        return model.use(m -> {
            checkToken(token);
            return llama_h.llama_vocab_get_attr(vocab, token);
        });
    }

    /**
     * @param token token id
     * @return whether it ends generation (EOS, EOT, ...; llama_vocab_is_eog)
     */
    public boolean isEndOfGeneration(int token) {
        return model.use(m -> {
            checkToken(token);
            return llama_h.llama_vocab_is_eog(vocab, token);
        });
    }

    /**
     * @param token token id
     * @return whether it is a control token (llama_vocab_is_control)
     */
    public boolean isControl(int token) {
        return model.use(m -> {
            checkToken(token);
            return llama_h.llama_vocab_is_control(vocab, token);
        });
    }

    /**
     * @return beginning-of-sequence token, or -1 if none
     */
    public int bos() {
        return model.use(m -> {
            return llama_h.llama_vocab_bos(vocab);
        });
    }

    /**
     * @return end-of-sequence token, or -1 if none
     */
    public int eos() {
        return model.use(m -> {
            return llama_h.llama_vocab_eos(vocab);
        });
    }

    /**
     * @return end-of-turn token, or -1 if none
     */
    public int eot() {
        return model.use(m -> {
            return llama_h.llama_vocab_eot(vocab);
        });
    }

    /**
     * @return separator token, or -1 if none
     */
    public int sep() {
        return model.use(m -> {
            return llama_h.llama_vocab_sep(vocab);
        });
    }

    /**
     * @return newline token, or -1 if none
     */
    public int nl() {
        return model.use(m -> {
            return llama_h.llama_vocab_nl(vocab);
        });
    }

    /**
     * @return padding token, or -1 if none
     */
    public int pad() {
        return model.use(m -> {
            return llama_h.llama_vocab_pad(vocab);
        });
    }

    /**
     * @return whether tokenizing with addSpecial adds BOS
     */
    public boolean addsBos() {
        return model.use(m -> {
            return llama_h.llama_vocab_get_add_bos(vocab);
        });
    }

    /**
     * @return whether tokenizing with addSpecial adds EOS
     */
    public boolean addsEos() {
        return model.use(m -> {
            return llama_h.llama_vocab_get_add_eos(vocab);
        });
    }
}
