/**
 * The lab: interpretability experiments on any GGUF model llama.cpp runs, built on the runtime's activation taps and
 * interventions ({@link dev.winnow.runtime.Taps}). {@link dev.winnow.runtime.lab.Lab} owns one tapped context and runs
 * the experiments: {@link dev.winnow.runtime.lab.ActivationCache activation cache}, {@link
 * dev.winnow.runtime.lab.LogitLens logit lens}, {@link dev.winnow.runtime.lab.PatchingResult activation patching}
 * and {@link dev.winnow.runtime.lab.AblationResult head ablation}.
 *
 * <p>Conventions follow TransformerLens where the two can agree: layers and heads count from 0, positions are token
 * indices of the prompt (BOS included when the vocabulary adds one), a head's output is its attention-weighted value
 * before the output projection ({@code hook_z}; llama.cpp's {@code kqv_out-L} holds the heads concatenated, head
 * {@code h} at elements {@code [h * head_dim, (h + 1) * head_dim)}), the residual stream after layer L is {@code
 * l_out-L} ({@code blocks.L.hook_resid_post}), the attention output after the output projection is {@code attn_out-L}
 * ({@code hook_attn_out}) and the FFN output is the {@code MUL_MAT} node {@code ffn_out-L} ({@code hook_mlp_out}).
 * Every value is in the model's own units (logits, not log-probabilities, unless a method says so). Where Winnow
 * differs from TransformerLens is listed in {@code docs/lab.md}.
 */
package dev.winnow.runtime.lab;
