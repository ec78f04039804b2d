package dev.winnow.scripting.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.DisplayData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a table as HTML (escaped), as aligned plain text, and as JSON rows: the bundle of a tabular result. */
final class HtmlTable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    HtmlTable(List<String> header) {
        this.header = List.copyOf(header);
    }

    HtmlTable row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, header " + header.size());
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    DisplayData toDisplayData(String caption) {
        StringBuilder html = new StringBuilder("<table class=\"winnow-table\">");
        if (caption != null) {
            html.append("<caption>").append(escape(caption)).append("</caption>");
        }
        html.append("<thead><tr>");
        for (String h : header) {
            html.append("<th>").append(escape(h)).append("</th>");
        }
        html.append("</tr></thead><tbody>");
        for (List<String> r : rows) {
            html.append("<tr>");
            for (String c : r) {
                html.append("<td>").append(escape(c)).append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</tbody></table>");
        Map<String, String> bundle = new LinkedHashMap<>();
        bundle.put("text/html", html.toString());
        bundle.put("application/json", json());
        bundle.put(DisplayData.TEXT_PLAIN, (caption == null ? "" : caption + "\n") + plain());
        return new DisplayData(bundle);
    }

    /**
     * The table as aligned plain text (cells cut to 60 characters), the {@code toString} of tabular host objects.
     *
     * @return a header line and one line per row
     */
    String plain() {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], Math.min(60, r.get(i).length()));
            }
        }
        StringBuilder b = new StringBuilder();
        line(b, header, w);
        for (List<String> r : rows) {
            line(b, r, w);
        }
        return b.toString().stripTrailing();
    }

    private static void line(StringBuilder b, List<String> cells, int[] w) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i).replace('\n', ' ');
            if (c.length() > 60) {
                c = c.substring(0, 57) + "...";
            }
            b.append(c);
            if (i < cells.size() - 1) {
                b.append(" ".repeat(w[i] - c.length() + 2));
            }
        }
        b.append('\n');
    }

    private String json() {
        List<Map<String, String>> objects = new ArrayList<>();
        for (List<String> r : rows) {
            Map<String, String> o = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                o.put(header.get(i), r.get(i));
            }
            objects.add(o);
        }
        try {
            return JSON.writeValueAsString(objects);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("table rows cannot be written as JSON", e);
        }
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
