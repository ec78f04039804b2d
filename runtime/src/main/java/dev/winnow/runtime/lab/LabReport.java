package dev.winnow.runtime.lab;

import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.SamplerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link LabRequest} and reports it as plain maps and lists (strings, numbers, nested lists): what {@code
 * winnow lab --json} prints and {@code winnow.lab(...)} returns to scripts. Keys are snake_case; matrices are lists
 * of rows (rows = layers).
 */
public final class LabReport {
    private LabReport() {}

    /**
     * Runs the experiment in a new {@link Lab} on the model.
     *
     * @param model a loaded model
     * @param request what to run
     * @param threads llama.cpp threads
     * @return the report: {@code experiment}, {@code model}, the experiment's fields, {@code forward_passes}
     */
    public static Map<String, Object> run(Model model, LabRequest request, int threads) {
        return run(model, request, threads, null);
    }

    /**
     * As {@link #run(Model, LabRequest, int)}, stopped by a cancellation token.
     *
     * @param model a loaded model
     * @param request what to run
     * @param threads llama.cpp threads
     * @param cancellation polled by every decode, or null
     * @return the report
     */
    public static Map<String, Object> run(Model model, LabRequest request, int threads, Cancellation cancellation) {
        List<int[]> prompts = new ArrayList<>();
        int longest = 1;
        for (String p : request.prompts()) {
            prompts.add(model.vocabulary().tokenize(p));
        }
        List<int[]> refs = new ArrayList<>();
        for (String r : request.reference()) {
            refs.add(model.vocabulary().tokenize(r));
        }
        int[] corrupt = request.corrupt() == null ? null : model.vocabulary().tokenize(request.corrupt());
        if (request.steering() != null) {
            for (String r : request.steering().negative()) {
                refs.add(model.vocabulary().tokenize(r));
            }
            if (request.steering().eval() != null) {
                corrupt = model.vocabulary().tokenize(request.steering().eval());
            }
        }
        if (request.experiment().equals("induction")) {
            longest = Math.max(longest, 2 * request.length() + 1);
        }

        for (int[] t : prompts) {
            longest = Math.max(longest, t.length);
        }
        for (int[] t : refs) {
            longest = Math.max(longest, t.length);
        }
        if (corrupt != null) {
            longest = Math.max(longest, corrupt.length);
        }
        if (request.experiment().equals("signatures")) {
            longest += request.length(); // the prompt and every generated token
        }
        try (Lab lab = Lab.open(model, longest, threads)) {
            if (cancellation != null) {
                lab.cancellation(cancellation);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("experiment", request.experiment());
            out.put("model", model.path().toString());
            switch (request.experiment()) {
                case "cache" -> cache(lab, prompts, request, out);
                case "logit-lens" -> lens(lab, prompts.get(0), request, out);
                case "patch" -> patch(lab, prompts.get(0), corrupt, request, out);
                case "induction" -> induction(lab, request, out);
                case "signatures" -> signatures(lab, prompts.get(0), request, out);
                case "steer" -> steer(lab, prompts, refs, corrupt == null ? refs.get(0) : corrupt, request, out);
                default -> ablate(lab, prompts.get(0), refs, request, out);
            }
            out.put("forward_passes", lab.passes());
            return out;
        }
    }

    private static void cache(Lab lab, List<int[]> prompts, LabRequest r, Map<String, Object> out) {
        try (ActivationCache c = lab.cache(prompts, r.globs(), r.maxBytes())) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int p = 0; p < c.promptCount(); p++) {
                for (String name : c.names(p)) {
                    CachedTensor t = c.tensor(p, name);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("prompt", p);
                    row.put("name", name);
                    row.put("op", t.op());
                    List<Long> shape = new ArrayList<>();
                    for (long d : t.shape()) {
                        shape.add(d);
                    }
                    row.put("shape", shape);
                    row.put("bytes", t.bytes());
                    rows.add(row);
                }
            }
            out.put("prompts", tokenLists(lab, prompts));
            out.put("tensors", rows);
            out.put("bytes", c.bytes());
            out.put("limit_bytes", c.limitBytes());
        }
    }

    private static void lens(Lab lab, int[] tokens, LabRequest r, Map<String, Object> out) {
        int tgt = r.target() == null ? lab.topToken(tokens, -1) : tokenOf(lab, r.target());
        LogitLens lens = lab.logitLens(tokens, tgt);
        out.put("tokens", pieces(lab, tokens));
        out.put("target", token(lab, tgt));
        out.put("target_rank", ints(lens.targetRanks()));
        out.put("target_probability", doubles(lens.targetProbabilities()));
        List<Object> top = new ArrayList<>();
        for (int l = 0; l < lens.layers(); l++) {
            List<Object> perPos = new ArrayList<>();
            for (int p = 0; p < lens.positions(); p++) {
                List<Object> ts = new ArrayList<>();
                for (TokenScore s : lens.top(l, p, r.top())) {
                    Map<String, Object> j = token(lab, s.token());
                    j.put("logit", (double) s.logit());
                    j.put("probability", s.probability());
                    ts.add(j);
                }
                perPos.add(ts);
            }
            top.add(perPos);
        }
        out.put("top", top);
    }

    private static void patch(Lab lab, int[] clean, int[] corrupt, LabRequest r, Map<String, Object> out) {
        PatchSite site = PatchSite.parse(r.site());
        int tgt = r.target() == null ? lab.topToken(clean, -1) : tokenOf(lab, r.target());
        int dis = r.distractor() == null ? lab.topToken(corrupt, tgt) : tokenOf(lab, r.distractor());
        PatchingResult p = lab.patch(clean, corrupt, tgt, dis, site);
        out.put("site", site.name().toLowerCase(Locale.ROOT));
        out.put("clean_tokens", pieces(lab, clean));
        out.put("corrupt_tokens", pieces(lab, corrupt));
        out.put("target", token(lab, tgt));
        out.put("distractor", token(lab, dis));
        out.put("ld_clean", p.ldClean());
        out.put("ld_corrupt", p.ldCorrupt());
        out.put("columns", site == PatchSite.HEAD ? "head" : "position");
        out.put("recovery", doubles(p.recoveryMatrix()));
    }

    private static void ablate(Lab lab, int[] tokens, List<int[]> refs, LabRequest r, Map<String, Object> out) {
        AblationMode mode = r.mode().equals("mean") ? AblationMode.MEAN : AblationMode.ZERO;
        int tgt = r.target() == null ? lab.topToken(tokens, -1) : tokenOf(lab, r.target());
        int dis = r.distractor() == null ? lab.topToken(tokens, tgt) : tokenOf(lab, r.distractor());
        AblationResult a = lab.ablateHeads(tokens, tgt, dis, mode, refs);
        out.put("mode", r.mode());
        out.put("tokens", pieces(lab, tokens));
        out.put("target", token(lab, tgt));
        out.put("distractor", token(lab, dis));
        out.put("ld_clean", a.ldClean());
        out.put("effect", doubles(a.effectMatrix()));
    }

    private static void signatures(Lab lab, int[] tokens, LabRequest r, Map<String, Object> out) {
        var sampling = r.temperature() == 0
                ? SamplerOptions.greedy()
                : SamplerOptions.sampling((float) r.temperature(), (int) r.seed());
        List<OutputSignature> sig = lab.signatures(tokens, r.length(), r.top(), sampling);
        out.put("tokens", pieces(lab, tokens));
        out.put("temperature", r.temperature());
        out.put("seed", r.seed());
        List<Object> steps = new ArrayList<>();
        for (OutputSignature s : sig) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("step", s.step());
            j.put("position", s.position());
            j.put("token", token(lab, s.token()));
            j.put("rank", s.rank());
            j.put("probability", s.probability());
            j.put("entropy", s.entropy());
            List<Object> top = new ArrayList<>();
            for (TokenScore t : s.top()) {
                Map<String, Object> tj = token(lab, t.token());
                tj.put("logit", (double) t.logit());
                tj.put("probability", t.probability());
                top.add(tj);
            }
            j.put("top", top);
            steps.add(j);
        }
        out.put("steps", steps);
    }

    private static void induction(Lab lab, LabRequest r, Map<String, Object> out) {
        InductionResult ind = lab.induction(r.length(), r.sequences(), r.seed());
        out.put("length", r.length());
        out.put("sequences", r.sequences());
        out.put("seed", r.seed());
        out.put("prefix_matching", doubles(ind.prefixMatching()));
        out.put("copying", doubles(ind.copying()));
    }

    private static void steer(
            Lab lab, List<int[]> positive, List<int[]> negative, int[] eval, LabRequest r, Map<String, Object> out) {
        LabRequest.Steering st = r.steering();
        SteeringVector sv = lab.steeringVector(positive, negative);
        double[] w = st.weights();
        if (w == null) {
            w = new double[lab.layers()];
            Arrays.fill(w, 1, w.length, 1.0);
        }
        float[] cv = sv.controlVector(w, st.scale());
        List<Double> norms = new ArrayList<>();
        for (int l = 0; l < sv.layers(); l++) {
            double ss = 0;
            for (float x : sv.direction(l)) {
                ss += (double) x * x;
            }
            norms.add(Math.sqrt(ss));
        }
        int last = eval.length - 1;
        float[] before = lab.logits(eval)[last];
        float[] after = lab.steeredLogits(eval, cv)[last];
        int tgt = r.target() == null ? argmax(after) : tokenOf(lab, r.target());
        double[] pb = LogitLens.softmax(before);
        double[] pa = LogitLens.softmax(after);
        out.put("direction_norm", norms);
        List<Double> wl = new ArrayList<>();
        for (double x : w) {
            wl.add(x);
        }
        out.put("weights", wl);
        out.put("scale", st.scale());
        out.put("eval_tokens", pieces(lab, eval));
        out.put("target", token(lab, tgt));
        out.put("target_probability_before", pb[tgt]);
        out.put("target_probability_after", pa[tgt]);
        out.put("top_before", token(lab, argmax(before)));
        out.put("top_after", token(lab, argmax(after)));
        if (st.out() != null) {
            try {
                sv.writeGguf(Path.of(st.out()), w, st.scale());
            } catch (IOException e) {
                throw new UncheckedIOException("writing control vector " + st.out() + ": " + e.getMessage(), e);
            }
            out.put("control_vector", st.out());
        }
    }

    private static int argmax(float[] l) {
        int b = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[b]) {
                b = i;
            }
        }
        return b;
    }

    /**
     * @param lab the lab
     * @param text a token's text or {@code #id}
     * @return the token id
     */
    static int tokenOf(Lab lab, String text) {
        if (text.startsWith("#")) {
            try {
                int id = Integer.parseInt(text.substring(1));
                if (id < 0 || id >= lab.model().vocabulary().size()) {
                    throw new IllegalArgumentException("token " + text + " outside the vocabulary [0, "
                            + lab.model().vocabulary().size() + ")");
                }
                return id;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("token '" + text + "': #id needs a number");
            }
        }
        return lab.token(text);
    }

    private static String piece(Lab lab, int token) {
        return new String(lab.model().vocabulary().piece(token, true), StandardCharsets.UTF_8);
    }

    private static List<String> pieces(Lab lab, int[] tokens) {
        List<String> out = new ArrayList<>();
        for (int t : tokens) {
            out.add(piece(lab, t));
        }
        return out;
    }

    private static List<Object> tokenLists(Lab lab, List<int[]> prompts) {
        List<Object> out = new ArrayList<>();
        for (int[] p : prompts) {
            out.add(pieces(lab, p));
        }
        return out;
    }

    private static Map<String, Object> token(Lab lab, int token) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", token);
        j.put("text", piece(lab, token));
        return j;
    }

    private static List<List<Double>> doubles(double[][] m) {
        List<List<Double>> out = new ArrayList<>();
        for (double[] row : m) {
            List<Double> r = new ArrayList<>();
            for (double v : row) {
                r.add(v);
            }
            out.add(r);
        }
        return out;
    }

    private static List<List<Integer>> ints(int[][] m) {
        List<List<Integer>> out = new ArrayList<>();
        for (int[] row : m) {
            List<Integer> r = new ArrayList<>();
            for (int v : row) {
                r.add(v);
            }
            out.add(r);
        }
        return out;
    }
}
