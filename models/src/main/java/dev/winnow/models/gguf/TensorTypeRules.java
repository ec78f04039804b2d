package dev.winnow.models.gguf;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which ggml types llama.cpp's CPU kernels accept for each tensor of a model, by the role the tensor plays in the
 * compute graph. llama.cpp checks a weight's shape when it loads a model but not its type: a weight of a type the
 * kernel that uses it cannot handle loads fine and then kills the process at the first decode (integer or F64 matrices
 * in {@code ggml_compute_forward_mul_mat}, an I8 {@code token_embd.weight} in {@code ggml_compute_forward_get_rows},
 * an F16 norm in the binary ops). Derived from llama.cpp v0.5.0 (node-llama-cpp 3.22.1), {@code ggml/src/ggml-cpu}:
 *
 * <ul>
 *   <li>{@link Role#MATMUL}: the weight is {@code src0} of {@code ggml_mul_mat} / {@code ggml_mul_mat_id} (every
 *       projection of llama's and bert's blocks, {@code output.weight}, bert's {@code cls}). The CPU kernel calls
 *       {@code type_traits_cpu[src0->type].vec_dot}, set in {@code ggml-cpu.c} for {@link #MATMUL_TYPES} only; Q8_1,
 *       Q8_K, I8, I16, I32, I64 and F64 have none (a NULL function pointer or {@code GGML_ABORT}).
 *   <li>{@link Role#ROWS}: rows are looked up with {@code ggml_get_rows} ({@code token_embd.weight},
 *       {@code position_embd.weight}); {@code ggml_compute_forward_get_rows} in {@code ops.cpp} handles the quantised
 *       types, F16, BF16, F32 and I32 and aborts on the rest. I32 is refused too: its integers would be read as float
 *       bit patterns. A {@code token_embd.weight} that also serves as the output (a decoder without
 *       {@code output.weight}) must satisfy both sets.
 *   <li>{@link Role#VECTOR}: one-dimensional tensors (norm weights, biases) and bert's {@code token_types.weight},
 *       added to or multiplied with F32 activations by {@code ggml_add} / {@code ggml_mul}: {@code binary_op} in
 *       {@code binary-ops.cpp} takes an F32 {@code src0} only with an F32 {@code src1}, so they must be F32.
 * </ul>
 *
 * <p>These roles cover every tensor of {@code llama} (and {@code qwen2}, the synthetic models' architectures) and
 * {@code bert}; for other architectures the same rules are applied by shape (two or more dimensions: MATMUL; one:
 * VECTOR), which refuses only types no converter writes for weights.
 */
public final class TensorTypeRules {

    /** Types with a CPU {@code vec_dot} kernel: the accepted {@code src0} types of {@code ggml_mul_mat}. */
    public static final Set<GgmlType> MATMUL_TYPES = Collections.unmodifiableSet(EnumSet.of(
            GgmlType.F32,
            GgmlType.F16,
            GgmlType.BF16,
            GgmlType.Q1_0,
            GgmlType.Q2_0,
            GgmlType.Q4_0,
            GgmlType.Q4_1,
            GgmlType.Q5_0,
            GgmlType.Q5_1,
            GgmlType.Q8_0,
            GgmlType.MXFP4,
            GgmlType.NVFP4,
            GgmlType.Q2_K,
            GgmlType.Q3_K,
            GgmlType.Q4_K,
            GgmlType.Q5_K,
            GgmlType.Q6_K,
            GgmlType.IQ2_XXS,
            GgmlType.IQ2_XS,
            GgmlType.IQ3_XXS,
            GgmlType.IQ3_S,
            GgmlType.IQ2_S,
            GgmlType.IQ1_S,
            GgmlType.IQ1_M,
            GgmlType.IQ4_NL,
            GgmlType.IQ4_XS,
            GgmlType.TQ1_0,
            GgmlType.TQ2_0));

    /** Types {@code ggml_get_rows} turns into floats on the CPU (I32 excluded, see the class comment). */
    public static final Set<GgmlType> ROWS_TYPES;

    /** Types a norm weight, bias or other vector operand of {@code ggml_add}/{@code ggml_mul} may have. */
    public static final Set<GgmlType> VECTOR_TYPES = Collections.unmodifiableSet(EnumSet.of(GgmlType.F32));

    static {
        EnumSet<GgmlType> rows = EnumSet.copyOf(MATMUL_TYPES);
        rows.add(GgmlType.Q8_1);
        ROWS_TYPES = Collections.unmodifiableSet(rows);
    }

    /** How a tensor is used in llama.cpp's graph. */
    public enum Role {
        /** {@code src0} of a matrix multiplication. */
        MATMUL("matrix multiplication (ggml_mul_mat)"),
        /** Looked up by row with {@code ggml_get_rows}. */
        ROWS("row lookup (ggml_get_rows)"),
        /** Row lookup and, as a tied output, matrix multiplication. */
        ROWS_AND_MATMUL("row lookup and, as the tied output, matrix multiplication"),
        /** Operand of an element-wise add or multiply with F32 activations. */
        VECTOR("element-wise add/multiply with F32 activations (ggml_add/ggml_mul)");

        private final String use;

        Role(String use) {
            this.use = use;
        }

        /** @return how the kernel uses a tensor of this role, for messages */
        public String use() {
            return use;
        }
    }

    private TensorTypeRules() {}

    /**
     * The role of one tensor.
     *
     * @param arch the model's {@code general.architecture} (may be null)
     * @param tensor the tensor
     * @param hasOutput whether the model has its own {@code output.weight} (otherwise a decoder uses
     *     {@code token_embd.weight} for the output)
     * @return its role
     */
    public static Role role(String arch, GgufTensorInfo tensor, boolean hasOutput) {
        String name = tensor.name();
        if (name.equals("token_embd.weight")) {
            return hasOutput || isEncoderOnly(arch) ? Role.ROWS : Role.ROWS_AND_MATMUL;
        }
        if (name.equals("position_embd.weight")) {
            return Role.ROWS;
        }
        if (name.equals("token_types.weight") || tensor.dimensions() <= 1) {
            return Role.VECTOR;
        }
        return Role.MATMUL;
    }

    /**
     * @param role a role
     * @return the types llama.cpp's CPU kernels accept for it
     */
    public static Set<GgmlType> accepted(Role role) {
        return switch (role) {
            case MATMUL -> MATMUL_TYPES;
            case ROWS -> ROWS_TYPES;
            case ROWS_AND_MATMUL -> MATMUL_TYPES;
            case VECTOR -> VECTOR_TYPES;
        };
    }

    /**
     * Checks one tensor's type against its role.
     *
     * @param arch the model's architecture (may be null)
     * @param tensor the tensor
     * @param hasOutput whether the model has {@code output.weight}
     * @return null when the type is accepted, otherwise the problem: the tensor, its type, its use and the accepted
     *     types
     */
    public static String problem(String arch, GgufTensorInfo tensor, boolean hasOutput) {
        Role role = role(arch, tensor, hasOutput);
        Set<GgmlType> ok = accepted(role);
        if (ok.contains(tensor.type())) {
            return null;
        }
        return "tensor '" + tensor.name() + "' has type " + tensor.type().ggmlName()
                + ", which llama.cpp's CPU kernel for " + role.use()
                + " cannot compute (it would crash the process); accepted types: " + names(ok);
    }

    /**
     * Architectures whose llama.cpp graph has no language-model head (llama.cpp v0.5.0, src/models/*.cpp that never set
     * {@code t_logits}): embedding models. Their token embedding is only looked up by rows, and a runtime context over
     * them computes embeddings only (its logits buffer holds zeros). The one list Winnow keeps of them.
     */
    private static final Set<String> EMBEDDING_ONLY_ARCHITECTURES = Set.of(
            "bert",
            "modern-bert",
            "nomic-bert",
            "nomic-bert-moe",
            "neo-bert",
            "jina-bert-v2",
            "jina-bert-v3",
            "eurobert",
            "gemma-embedding",
            "t5encoder",
            "llama-embed");

    /**
     * Whether an architecture is an embedding model without a language-model head.
     *
     * @param arch the GGUF {@code general.architecture}, or null
     * @return true for architectures without a decoder output (embedding models); false for null
     */
    public static boolean isEncoderOnly(String arch) {
        return arch != null && EMBEDDING_ONLY_ARCHITECTURES.contains(arch);
    }

    private static String names(Set<GgmlType> types) {
        return types.stream().map(GgmlType::ggmlName).collect(Collectors.joining(", "));
    }
}
