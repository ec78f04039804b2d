package dev.winnow.scripting.host;

import dev.winnow.scripting.DisplayData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.graalvm.polyglot.HostAccess;

/**
 * The attention probabilities of one layer for a prompt, read from llama.cpp's {@code kq_soft_max-L} tensor (flash
 * attention off): {@code probs} has shape {@code [heads, tokens, tokens]}, row = query token, column = key token (0 above
 * the diagonal: causal). Displayed as an SVG heatmap of the mean over heads.
 */
public final class AttentionMap implements Displayable {
    /** The layer, 0-based. */
    @HostAccess.Export
    public final int layer;

    /** The prompt's tokens as text pieces, in order. */
    @HostAccess.Export
    public final List<String> tokens;

    /** The probabilities, shape {@code [heads, tokens, tokens]}. */
    @HostAccess.Export
    public final ScriptTensor probs;

    AttentionMap(int layer, List<String> tokens, ScriptTensor probs) {
        this.layer = layer;
        this.tokens = List.copyOf(tokens);
        this.probs = probs;
    }

    /**
     * The attention of a query token to a key token, averaged over heads.
     *
     * @param query the query token index
     * @param key the key token index
     * @return the mean probability in [0, 1]
     */
    @HostAccess.Export
    public double meanOverHeads(int query, int key) {
        long[] s = probs.shape();
        int n = tokens.size();
        if (query < 0 || query >= n || key < 0 || key >= n) {
            throw new IndexOutOfBoundsException("token index out of range [0, " + n + "): " + query + ", " + key);
        }
        double sum = 0;
        for (int h = 0; h < s[0]; h++) {
            sum += probs.get(((long) h * n + query) * n + key);
        }
        return sum / s[0];
    }

    @Override
    public DisplayData toDisplayData() {
        int n = tokens.size();
        int cell = Math.max(4, Math.min(24, 480 / Math.max(1, n)));
        int label = 80;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(label + n * cell)
                .append("\" height=\"")
                .append(label + n * cell)
                .append("\" font-size=\"10\" font-family=\"monospace\">");
        for (int i = 0; i < n; i++) {
            String t = HtmlTable.escape(tokens.get(i).replace("\n", "\\n"));
            svg.append("<text x=\"")
                    .append(label - 4)
                    .append("\" y=\"")
                    .append(label + i * cell + cell * 0.75)
                    .append("\" text-anchor=\"end\">")
                    .append(t)
                    .append("</text>");
            svg.append("<text transform=\"translate(")
                    .append(label + i * cell + cell * 0.75)
                    .append(',')
                    .append(label - 4)
                    .append(") rotate(-90)\">")
                    .append(t)
                    .append("</text>");
        }
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < n; k++) {
                double v = meanOverHeads(q, k);
                int shade = (int) Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
                svg.append("<rect x=\"")
                        .append(label + k * cell)
                        .append("\" y=\"")
                        .append(label + q * cell)
                        .append("\" width=\"")
                        .append(cell)
                        .append("\" height=\"")
                        .append(cell)
                        .append("\" fill=\"rgb(")
                        .append(shade)
                        .append(',')
                        .append(shade)
                        .append(",255)\"><title>")
                        .append(String.format("%.3f", v))
                        .append("</title></rect>");
            }
        }
        svg.append("</svg>");
        Map<String, String> bundle = new LinkedHashMap<>();
        bundle.put("image/svg+xml", svg.toString());
        bundle.put(DisplayData.TEXT_PLAIN, toString());
        return new DisplayData(bundle);
    }

    @HostAccess.Export
    @Override
    public String toString() {
        long[] s = probs.shape();
        return "attention of layer " + layer + ": " + s[0] + " heads x " + n() + " x " + n() + " tokens";
    }

    private int n() {
        return tokens.size();
    }
}
