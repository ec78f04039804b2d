package dev.winnow.runtime;

/** Whether a context uses flash attention ({@code enum llama_flash_attn_type}). */
public enum FlashAttention {
    /** llama.cpp decides per device (LLAMA_FLASH_ATTN_TYPE_AUTO). */
    AUTO(-1),
    /** Off: the attention probabilities exist as {@code kq_soft_max-L} tensors, which taps need. */
    DISABLED(0),
    /** On. */
    ENABLED(1);

    private final int id;

    FlashAttention(int id) {
        this.id = id;
    }

    /**
     * @return the value of {@code enum llama_flash_attn_type}
     */
    public int id() {
        return id;
    }
}
