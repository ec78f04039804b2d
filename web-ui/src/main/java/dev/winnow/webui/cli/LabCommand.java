package dev.winnow.webui.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.lab.LabReport;
import dev.winnow.runtime.lab.LabRequest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code winnow lab EXPERIMENT --model FILE ...}: the lab's interpretability experiments ({@code
 * dev.winnow.runtime.lab}) from the command line, a table on stdout or, with {@code --json}, the report of {@link
 * LabReport} as one JSON object. Experiments: {@code cache}, {@code logit-lens}, {@code patch}, {@code ablate}.
 */
@Command(
        name = "lab",
        mixinStandardHelpOptions = true,
        description = {
            "Interpretability experiments on a GGUF model (docs/lab.md): a table, or JSON with --json.",
            "EXPERIMENT: cache | logit-lens | patch | ablate | induction | steer | signatures"
        })
public final class LabCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "EXPERIMENT",
            description = "cache, logit-lens, patch, ablate, induction, steer or signatures")
    String experiment;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    @Option(
            names = "--prompt",
            paramLabel = "TEXT",
            description = "the prompt (patch: the clean one; cache and steer (the positive set): repeatable)")
    List<String> prompts = List.of();

    @Option(names = "--corrupt", paramLabel = "TEXT", description = "patch: the corrupted prompt (same token length)")
    String corrupt;

    @Option(
            names = "--target",
            paramLabel = "TOKEN",
            description = "target token: its text (\" Lily\") or #id (default: the top token after the prompt)")
    String target;

    @Option(
            names = "--distractor",
            paramLabel = "TOKEN",
            description = "distractor token, as --target (default: patch: the corrupted prompt's top token; ablate: the"
                    + " second-best token)")
    String distractor;

    @Option(
            names = "--site",
            paramLabel = "SITE",
            defaultValue = "residual",
            description = "patch: residual, attention, ffn or head (default ${DEFAULT-VALUE})")
    String site;

    @Option(
            names = "--mode",
            paramLabel = "MODE",
            defaultValue = "zero",
            description = "ablate: zero or mean (default ${DEFAULT-VALUE})")
    String mode;

    @Option(
            names = "--reference",
            paramLabel = "TEXT",
            description = "ablate --mode mean: a reference prompt (repeatable)")
    List<String> reference = List.of();

    @Option(
            names = "--glob",
            paramLabel = "GLOB",
            description = "cache: tensor name glob (repeatable; default l_out-*)")
    List<String> globs = List.of();

    @Option(
            names = "--max-bytes",
            paramLabel = "N",
            defaultValue = "1073741824",
            description = "cache: the most bytes to hold (default ${DEFAULT-VALUE})")
    long maxBytes;

    @Option(
            names = "--top",
            paramLabel = "K",
            defaultValue = "3",
            description = "logit-lens, signatures: top tokens shown (default ${DEFAULT-VALUE})")
    int top;

    @Option(
            names = "--threads",
            paramLabel = "T",
            defaultValue = "1",
            description = "CPU threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--negative", paramLabel = "TEXT", description = "steer: a negative prompt (repeatable)")
    List<String> negative = List.of();

    @Option(
            names = "--weights",
            paramLabel = "W",
            split = ",",
            description = "steer: one weight per layer, the first 0 (default 0,1,1,...)")
    double[] weights;

    @Option(
            names = "--scale",
            paramLabel = "S",
            defaultValue = "1",
            description = "steer: global scale (default ${DEFAULT-VALUE})")
    double scale;

    @Option(names = "--out", paramLabel = "FILE", description = "steer: write the control vector as a llama.cpp GGUF")
    Path out;

    @Option(
            names = "--eval",
            paramLabel = "TEXT",
            description = "steer: the prompt compared with and without steering (default: the first negative prompt)")
    String eval;

    @Option(
            names = "--length",
            paramLabel = "T",
            defaultValue = "20",
            description = "induction: tokens per copy; signatures: tokens to generate (default ${DEFAULT-VALUE})")
    int length;

    @Option(
            names = "--sequences",
            paramLabel = "N",
            defaultValue = "4",
            description = "induction: random sequences (default ${DEFAULT-VALUE})")
    int sequences;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "0",
            description = "induction, signatures: random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--temp",
            paramLabel = "X",
            defaultValue = "0",
            description = "signatures: temperature, 0 = greedy (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--jsonl", description = "signatures: one JSON object per generated step (JSON Lines)")
    boolean jsonl;

    @Option(names = "--json", description = "print the report as one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be >= 1, got " + top);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("--max-bytes must be >= 1, got " + maxBytes);
        }
        LabRequest request = new LabRequest(
                experiment,
                prompts,
                corrupt,
                target,
                distractor,
                site,
                mode,
                reference,
                globs,
                maxBytes,
                top,
                negative.isEmpty()
                        ? null
                        : new LabRequest.Steering(negative, weights, scale, out == null ? null : out.toString(), eval),
                length,
                sequences,
                seed,
                temperature);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> r;
        try (Model m = Llama.load().loadModel(model)) {
            r = LabReport.run(m, request, threads);
        }
        if (jsonl && r.get("steps") instanceof List<?> steps) {
            ObjectMapper om = new ObjectMapper();
            for (Object step : steps) {
                out.println(om.writeValueAsString(step));
            }
        } else if (json) {
            out.println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(r));
        } else {
            switch (request.experiment()) {
                case "cache" -> cacheTable(out, r);
                case "logit-lens" -> lensTable(out, r);
                case "patch" -> patchTable(out, r);
                case "induction" -> inductionTable(out, r);
                case "steer" -> steerTable(out, r);
                case "signatures" -> signaturesTable(out, r);
                default -> ablateTable(out, r);
            }
            out.printf("%s forward passes%n", r.get("forward_passes"));
        }
        out.flush();
        return 0;
    }

    @SuppressWarnings("unchecked")
    private static void cacheTable(PrintWriter out, Map<String, Object> r) {
        out.printf("%-6s  %-24s  %-9s  %-22s  %10s%n", "prompt", "name", "op", "shape (ne0..ne3)", "bytes");
        for (Map<String, Object> t : (List<Map<String, Object>>) r.get("tensors")) {
            out.printf(
                    "%-6s  %-24s  %-9s  %-22s  %10s%n",
                    t.get("prompt"), t.get("name"), t.get("op"), t.get("shape"), t.get("bytes"));
        }
        out.printf("total %s bytes (limit %s)%n", r.get("bytes"), r.get("limit_bytes"));
    }

    @SuppressWarnings("unchecked")
    private static void lensTable(PrintWriter out, Map<String, Object> r) {
        List<String> tokens = (List<String>) r.get("tokens");
        int last = tokens.size() - 1;
        out.printf(
                "logit lens at the last position ('%s'), target '%s'%n",
                tokens.get(last), ((Map<String, Object>) r.get("target")).get("text"));
        out.printf("%-5s  %6s  %11s  %s%n", "layer", "rank", "probability", "top tokens (probability)");
        List<List<Integer>> rank = (List<List<Integer>>) r.get("target_rank");
        List<List<Double>> prob = (List<List<Double>>) r.get("target_probability");
        List<List<List<Map<String, Object>>>> top = (List<List<List<Map<String, Object>>>>) r.get("top");
        for (int l = 0; l < rank.size(); l++) {
            StringBuilder s = new StringBuilder();
            for (Map<String, Object> t : top.get(l).get(last)) {
                s.append(String.format(Locale.ROOT, "'%s' %.3f  ", t.get("text"), (Double) t.get("probability")));
            }
            out.printf(
                    Locale.ROOT,
                    "%-5d  %6d  %11.4f  %s%n",
                    l,
                    rank.get(l).get(last),
                    prob.get(l).get(last),
                    s.toString().strip());
        }
    }

    @SuppressWarnings("unchecked")
    private static void patchTable(PrintWriter out, Map<String, Object> r) {
        out.printf(
                Locale.ROOT,
                "patching %s: target '%s', distractor '%s', LD clean %.4f, LD corrupt %.4f%n",
                r.get("site"),
                ((Map<String, Object>) r.get("target")).get("text"),
                ((Map<String, Object>) r.get("distractor")).get("text"),
                (Double) r.get("ld_clean"),
                (Double) r.get("ld_corrupt"));
        List<List<Double>> m = (List<List<Double>>) r.get("recovery");
        List<String> header = new ArrayList<>();
        List<String> tokens = (List<String>) r.get("clean_tokens");
        for (int c = 0; c < m.get(0).size(); c++) {
            header.add(
                    "head".equals(r.get("columns"))
                            ? "H" + c
                            : c + ":" + tokens.get(c).strip());
        }
        matrix(out, "recovery (LD_patched - LD_corrupt) / (LD_clean - LD_corrupt); rows: layers", header, m);
    }

    @SuppressWarnings("unchecked")
    private static void ablateTable(PrintWriter out, Map<String, Object> r) {
        out.printf(
                Locale.ROOT,
                "%s ablation: target '%s', distractor '%s', LD %.4f%n",
                r.get("mode"),
                ((Map<String, Object>) r.get("target")).get("text"),
                ((Map<String, Object>) r.get("distractor")).get("text"),
                (Double) r.get("ld_clean"));
        List<List<Double>> m = (List<List<Double>>) r.get("effect");
        List<String> header = new ArrayList<>();
        for (int h = 0; h < m.get(0).size(); h++) {
            header.add("H" + h);
        }
        matrix(out, "LD_ablated - LD; rows: layers, columns: heads", header, m);
    }

    @SuppressWarnings("unchecked")
    private static void inductionTable(PrintWriter out, Map<String, Object> r) {
        out.printf(
                "induction heads on %s random sequences of %s tokens repeated twice%n",
                r.get("sequences"), r.get("length"));
        List<List<Double>> m = (List<List<Double>>) r.get("prefix_matching");
        List<String> header = new ArrayList<>();
        for (int h = 0; h < m.get(0).size(); h++) {
            header.add("H" + h);
        }
        matrix(out, "prefix matching (attention to the token after the previous occurrence); rows: layers", header, m);
        matrix(
                out,
                "copying (logit of the next repeated token lost when the head is zero-ablated); rows: layers",
                header,
                (List<List<Double>>) r.get("copying"));
    }

    @SuppressWarnings("unchecked")
    private static void signaturesTable(PrintWriter out, Map<String, Object> r) {
        out.printf(
                "%-4s  %-12s  %4s  %11s  %7s  %s%n",
                "step", "token", "rank", "probability", "entropy", "top tokens (probability)");
        for (Map<String, Object> s : (List<Map<String, Object>>) r.get("steps")) {
            StringBuilder t = new StringBuilder();
            for (Map<String, Object> x : (List<Map<String, Object>>) s.get("top")) {
                t.append(String.format(Locale.ROOT, "'%s' %.3f  ", x.get("text"), (Double) x.get("probability")));
            }
            out.printf(
                    Locale.ROOT,
                    "%-4s  %-12s  %4s  %11.4f  %7.3f  %s%n",
                    s.get("step"),
                    "'" + ((Map<String, Object>) s.get("token")).get("text") + "'",
                    s.get("rank"),
                    (Double) s.get("probability"),
                    (Double) s.get("entropy"),
                    t.toString().strip());
        }
    }

    @SuppressWarnings("unchecked")
    private static void steerTable(PrintWriter out, Map<String, Object> r) {
        out.printf(Locale.ROOT, "steering, scale %s, weights %s%n", r.get("scale"), r.get("weights"));
        List<Double> norms = (List<Double>) r.get("direction_norm");
        out.printf("%-5s  %14s%n", "layer", "|direction|");
        for (int l = 0; l < norms.size(); l++) {
            out.printf(Locale.ROOT, "%-5d  %14.4f%n", l, norms.get(l));
        }
        out.printf(
                Locale.ROOT,
                "target '%s': probability %.4f -> %.4f; top token '%s' -> '%s'%n",
                ((Map<String, Object>) r.get("target")).get("text"),
                (Double) r.get("target_probability_before"),
                (Double) r.get("target_probability_after"),
                ((Map<String, Object>) r.get("top_before")).get("text"),
                ((Map<String, Object>) r.get("top_after")).get("text"));
        if (r.get("control_vector") != null) {
            out.printf("wrote %s%n", r.get("control_vector"));
        }
    }

    private static void matrix(PrintWriter out, String title, List<String> header, List<List<Double>> m) {
        int w = 7;
        for (String h : header) {
            w = Math.max(w, h.length());
        }
        out.println(title);
        StringBuilder s = new StringBuilder(String.format("%-5s", "layer"));
        for (String h : header) {
            s.append("  ").append(String.format("%" + w + "s", h));
        }
        out.println(s);
        for (int l = 0; l < m.size(); l++) {
            s = new StringBuilder(String.format("%-5d", l));
            for (double v : m.get(l)) {
                s.append("  ").append(String.format(Locale.ROOT, "%" + w + ".3f", v));
            }
            out.println(s);
        }
    }
}
