package dev.winnow.runtime.lab;

import java.util.List;

/**
 * Induction heads (Olsson et al. 2022, "In-context learning and induction heads"; the TransformerLens tutorial's
 * induction score) on repeated random token sequences {@code [BOS] r_0 .. r_{T-1} r_0 .. r_{T-1}}. For every query
 * position {@code q} of the second copy (token {@code r_j}):
 *
 * <ul>
 *   <li><b>prefix matching</b>: the attention from {@code q} to the token after the previous occurrence of
 *       {@code r_j} (position {@code q - T + 1}), averaged over the second copy and the sequences; 1 = a perfect
 *       induction pattern;
 *   <li><b>copying</b>: how much the head raises the logit of the token to be copied ({@code r_{j+1}}, the next
 *       token) at {@code q}: that logit in the plain run minus the logit with the head zero-ablated, averaged over
 *       {@code j < T - 1} and the sequences (a causal, ablation-based score, in logits; not the OV-circuit eigenvalue
 *       score of the paper, which needs the weights).
 * </ul>
 *
 * Rows are layers, columns heads.
 *
 * @param length T, the random sequence's length
 * @param sequences the token sequences used (each {@code [BOS] r r})
 * @param prefixMatching [layer][head] prefix-matching score
 * @param copying [layer][head] copying score
 */
public record InductionResult(int length, List<int[]> sequences, double[][] prefixMatching, double[][] copying) {}
