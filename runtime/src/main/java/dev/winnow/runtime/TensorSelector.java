package dev.winnow.runtime;

import java.util.regex.Pattern;

/**
 * Chooses graph tensors by name and, optionally, by ggml operation. Names are matched whole against a glob where
 * {@code *} is any run of characters and {@code ?} one character: {@code kq_soft_max-*}, {@code Qcur-12},
 * {@code l_out-*}. Several graph nodes can share a name ({@code Qcur-L} names the projection, its reshape and the
 * RoPE result): add an op ({@code "ROPE"}, as {@code ggml_op_name} spells it) to pick one.
 *
 * @param glob the name glob
 * @param op the ggml op name to require, or null for any
 */
public record TensorSelector(String glob, String op) {
    /**
     * @throws IllegalArgumentException if the glob is null or empty
     */
    public TensorSelector {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("tensor name glob must not be empty");
        }
    }

    /**
     * @param glob name glob
     * @return a selector for any op
     */
    public static TensorSelector name(String glob) {
        return new TensorSelector(glob, null);
    }

    /**
     * @param opName ggml op name, e.g. "ROPE", "SOFT_MAX", "MUL_MAT"
     * @return a copy that also requires the op
     */
    public TensorSelector withOp(String opName) {
        return new TensorSelector(glob, opName);
    }

    Pattern pattern() {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
