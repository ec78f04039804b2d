package dev.winnow.runtime.lab;

import java.util.Locale;

/** Where activation patching writes the clean value into the corrupted run. */
public enum PatchSite {
    /** The residual stream after layer L: {@code l_out-L} (TransformerLens {@code hook_resid_post}). */
    RESIDUAL("l_out-", null),
    /** The attention block's output after the output projection: {@code attn_out-L} ({@code hook_attn_out}). */
    ATTENTION("attn_out-", null),
    /** The FFN block's output: the {@code MUL_MAT} node {@code ffn_out-L} ({@code hook_mlp_out}). */
    FFN("ffn_out-", "MUL_MAT"),
    /**
     * One head's output before the output projection: its slice of {@code kqv_out-L} ({@code hook_z}); patched at
     * every position, reported per layer and head.
     */
    HEAD("kqv_out-", null);

    private final String prefix;
    private final String op;

    PatchSite(String prefix, String op) {
        this.prefix = prefix;
        this.op = op;
    }

    /**
     * @param layer layer
     * @return llama.cpp's tensor name at that layer
     */
    public String tensorName(int layer) {
        return prefix + layer;
    }

    /**
     * @return the ggml op to require (several nodes are named {@code ffn_out-L}), or null
     */
    public String op() {
        return op;
    }

    /**
     * @param text "residual", "attention"/"attn", "ffn"/"mlp" or "head", any case
     * @return the site
     * @throws IllegalArgumentException naming the accepted values
     */
    public static PatchSite parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "residual", "resid", "l_out" -> RESIDUAL;
            case "attention", "attn", "attn_out" -> ATTENTION;
            case "ffn", "mlp", "ffn_out" -> FFN;
            case "head", "heads", "z" -> HEAD;
            default ->
                throw new IllegalArgumentException(
                        "patch site '" + text + "' is not one of residual, attention, ffn, head");
        };
    }
}
