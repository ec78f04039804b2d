package dev.winnow.runtime.lab;

import java.util.List;
import java.util.Locale;

/**
 * One generated step's output signature: the distribution the model put on the next token and where the token it
 * chose stood in it. Probabilities are the softmax of the raw logits (before temperature and truncation); entropy is
 * in nats.
 *
 * @param step 0 for the first generated token
 * @param position its position in the sequence
 * @param token the chosen token
 * @param text the chosen token's text
 * @param rank the chosen token's rank under the raw logits (1 = the top token)
 * @param probability the chosen token's probability
 * @param entropy the entropy of the distribution, in nats
 * @param top the k most probable tokens, best first
 */
public record OutputSignature(
        int step,
        int position,
        int token,
        String text,
        int rank,
        double probability,
        double entropy,
        List<TokenScore> top) {

    /**
     * @return this step as one JSON object on one line (a JSON Lines record)
     */
    public String toJsonLine() {
        StringBuilder s = new StringBuilder();
        s.append("{\"step\":")
                .append(step)
                .append(",\"position\":")
                .append(position)
                .append(",\"token\":")
                .append(token)
                .append(",\"text\":")
                .append(quote(text))
                .append(",\"rank\":")
                .append(rank)
                .append(",\"probability\":")
                .append(num(probability))
                .append(",\"entropy\":")
                .append(num(entropy))
                .append(",\"top\":[");
        for (int i = 0; i < top.size(); i++) {
            TokenScore t = top.get(i);
            s.append(i == 0 ? "" : ",")
                    .append("{\"token\":")
                    .append(t.token())
                    .append(",\"text\":")
                    .append(quote(t.text()))
                    .append(",\"logit\":")
                    .append(num(t.logit()))
                    .append(",\"probability\":")
                    .append(num(t.probability()))
                    .append('}');
        }
        return s.append("]}").toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.17g", v) : "null";
    }

    static String quote(String text) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('"').toString();
    }
}
