package dev.winnow.runtime.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TestModels;
import dev.winnow.runtime.lab.LlamaReference.Arr;
import dev.winnow.runtime.lab.LlamaReference.Job;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's experiments on stories260K against ../shared/tools/llama_reference.py (float64, independent of Winnow):
 * every number within 1e-4 absolute, plus the invariants that need no reference.
 */
class LabReferenceTest {
    static final double TOL = 1e-4;
    static Model model;
    static Lab lab;
    static int[] clean;
    static int[] corrupt;
    static int target;
    static int distractor;
    static int nLayer;
    static int nEmbd;
    static int nHead;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        lab = Lab.open(model, 64, 1);
        nLayer = model.layerCount();
        nEmbd = model.embeddingSize();
        nHead = model.headCount();
        // "Once upon a time, there was a little girl named Lily. Lily" and the same with Tim for Lily
        clean = new int[] {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 317};
        corrupt = new int[] {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 326, 426, 326};
        assertEquals(" Lily", model.vocabulary().text(317).replace('\u2581', ' '));
        float[] lc = lab.logits(clean)[clean.length - 1];
        float[] lx = lab.logits(corrupt)[corrupt.length - 1];
        target = argmax(lc, -1);
        distractor = argmax(lx, target);
    }

    @AfterAll
    static void free() {
        lab.close();
        model.close();
    }

    static int argmax(float[] l, int except) {
        int b = -1;
        for (int i = 0; i < l.length; i++) {
            if (i != except && (b < 0 || l[i] > l[b])) {
                b = i;
            }
        }
        return b;
    }

    static double refLd(Map<String, Arr> r, int n) {
        Arr o = r.get("result_output");
        return o.at(n - 1, target) - o.at(n - 1, distractor);
    }

    /** A reference activation [N, dim] with token p replaced by the source's, rows [from, from + len). */
    static Arr patched(Arr base, Arr source, int p, int from, int len) {
        double[] d = base.data().clone();
        int dim = base.shape()[1];
        for (int i = from; i < from + len; i++) {
            d[p * dim + i] = source.data()[p * dim + i];
        }
        return new Arr(d, base.shape());
    }

    @Test
    void logitLensEqualsTheReferencePerLayerAndPosition() throws Exception {
        int n = clean.length;
        LogitLens lens = lab.logitLens(clean, target);
        Map<String, Arr> base = LlamaReference.run(model.path(), List.of(new Job(clean, "l_out-*")), tmp.resolve("a"))
                .get(0);
        List<Job> jobs = new ArrayList<>();
        for (int l = 0; l < nLayer; l++) {
            jobs.add(new Job(clean).patch("l_out-" + (nLayer - 1), base.get("l_out-" + l)));
        }
        List<Map<String, Arr>> ref = LlamaReference.run(model.path(), jobs, tmp.resolve("b"));
        double worst = 0;
        for (int l = 0; l < nLayer; l++) {
            Arr o = ref.get(l).get("result_output");
            for (int p = 0; p < n; p++) {
                float[] got = lens.logits(l, p);
                for (int t = 0; t < got.length; t++) {
                    worst = Math.max(worst, Math.abs(got[t] - o.at(p, t)));
                }
            }
        }
        assertTrue(worst < TOL, "worst |lens logit - reference| " + worst);
        // the last layer's lens is the model's output, bit for bit
        assertArrayEquals(lab.logits(clean)[n - 1], lens.logits(nLayer - 1, n - 1));
        assertEquals(1, lens.rank(nLayer - 1, n - 1, target), "target is the model's top token at the end");
        double[][] prob = lens.targetProbabilities();
        int[][] rank = lens.targetRanks();
        assertEquals(lens.top(nLayer - 1, n - 1, 1).get(0).probability(), prob[nLayer - 1][n - 1], 1e-12);
        for (int l = 0; l < nLayer; l++) {
            assertTrue(
                    rank[l][n - 1] >= 1 && rank[l][n - 1] <= model.vocabulary().size());
        }
        assertNotEquals(lens.logits(0, n - 1)[target], lens.logits(nLayer - 1, n - 1)[target]);
    }

    @Test
    void patchingRecoveryMatricesEqualTheReference() throws Exception {
        int n = clean.length;
        String caps = "l_out-*,attn_out-*,ffn_out-*,kqv_out-*";
        List<Map<String, Arr>> base = LlamaReference.run(
                model.path(),
                List.of(new Job(clean, caps.split(",")), new Job(corrupt, caps.split(","))),
                tmp.resolve("a"));
        Map<String, Arr> rc = base.get(0);
        Map<String, Arr> rx = base.get(1);
        double refClean = refLd(rc, n);
        double refCorrupt = refLd(rx, n);
        int hd = nEmbd / nHead;
        List<Job> jobs = new ArrayList<>();
        for (PatchSite site : PatchSite.values()) {
            for (int l = 0; l < nLayer; l++) {
                String name = site.tensorName(l);
                if (site == PatchSite.HEAD) {
                    for (int h = 0; h < nHead; h++) {
                        Arr a = rx.get(name);
                        for (int p = 0; p < n; p++) {
                            a = patched(a, rc.get(name), p, h * hd, hd);
                        }
                        jobs.add(new Job(corrupt).patch(name, a));
                    }
                } else {
                    for (int p = 0; p < n; p++) {
                        jobs.add(new Job(corrupt).patch(name, patched(rx.get(name), rc.get(name), p, 0, nEmbd)));
                    }
                }
            }
        }
        List<Map<String, Arr>> ref = LlamaReference.run(model.path(), jobs, tmp.resolve("b"));
        int k = 0;
        for (PatchSite site : PatchSite.values()) {
            PatchingResult r = lab.patch(clean, corrupt, target, distractor, site);
            assertEquals(refClean, r.ldClean(), TOL, site + " LD clean");
            assertEquals(refCorrupt, r.ldCorrupt(), TOL, site + " LD corrupt");
            assertTrue(
                    Math.abs(refClean - refCorrupt) > 1, "the corruption changes LD: " + refClean + " " + refCorrupt);
            assertEquals(nLayer, r.layers());
            assertEquals(site == PatchSite.HEAD ? nHead : n, r.columns());
            for (int l = 0; l < nLayer; l++) {
                for (int c = 0; c < r.columns(); c++) {
                    double ld = refLd(ref.get(k++), n);
                    assertEquals(ld, r.ldPatched(l, c), TOL, site + " LD at layer " + l + " column " + c);
                    assertEquals(
                            (ld - refCorrupt) / (refClean - refCorrupt),
                            r.recovery(l, c),
                            TOL,
                            site + " recovery at layer " + l + " column " + c);
                }
            }
            if (site == PatchSite.RESIDUAL) {
                // the last layer's residual at the last position decides the output: exactly 100 %
                assertEquals(1.0, r.recovery(nLayer - 1, n - 1));
                // positions before the last do not reach the output through the last layer
                assertEquals(0.0, r.recovery(nLayer - 1, 0));
            }
        }
    }

    @Test
    void patchingASiteWithItsOwnCleanValueChangesNothing() {
        int n = clean.length;
        for (PatchSite site : PatchSite.values()) {
            PatchingResult r = lab.patch(clean, clean, target, distractor, site);
            for (int l = 0; l < nLayer; l++) {
                for (int c = 0; c < r.columns(); c++) {
                    assertEquals(r.ldClean(), r.ldPatched(l, c), site + " layer " + l + " column " + c);
                }
            }
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> lab.patch(
                        clean, java.util.Arrays.copyOf(corrupt, n - 1), target, distractor, PatchSite.RESIDUAL));
    }

    @Test
    void headAblationEqualsTheReference() throws Exception {
        int n = clean.length;
        List<int[]> reference = List.of(lab.tokenize("Once upon a time there was a dog."), corrupt);
        AblationResult zero = lab.ablateHeads(clean, target, distractor, AblationMode.ZERO, List.of());
        AblationResult mean = lab.ablateHeads(clean, target, distractor, AblationMode.MEAN, reference);
        List<Job> refJobs = new ArrayList<>();
        refJobs.add(new Job(clean, "kqv_out-*"));
        for (int[] r : reference) {
            refJobs.add(new Job(r, "kqv_out-*"));
        }
        List<Map<String, Arr>> base = LlamaReference.run(model.path(), refJobs, tmp.resolve("a"));
        int hd = nEmbd / nHead;
        List<Job> jobs = new ArrayList<>();
        for (int l = 0; l < nLayer; l++) {
            String name = "kqv_out-" + l;
            double[] m = new double[nEmbd];
            int count = 0;
            for (int r = 1; r < base.size(); r++) {
                Arr a = base.get(r).get(name);
                for (int p = 0; p < a.shape()[0]; p++) {
                    for (int i = 0; i < nEmbd; i++) {
                        m[i] += a.at(p, i);
                    }
                }
                count += a.shape()[0];
            }
            for (int h = 0; h < nHead; h++) {
                jobs.add(new Job(clean).ablate(l, h));
                double[] d = base.get(0).get(name).data().clone();
                for (int p = 0; p < n; p++) {
                    for (int i = h * hd; i < (h + 1) * hd; i++) {
                        d[p * nEmbd + i] = m[i] / count;
                    }
                }
                jobs.add(new Job(clean).patch(name, new Arr(d, new int[] {n, nEmbd})));
            }
        }
        List<Map<String, Arr>> ref = LlamaReference.run(model.path(), jobs, tmp.resolve("b"));
        double refClean = refLd(base.get(0), n);
        assertEquals(refClean, zero.ldClean(), TOL);
        int k = 0;
        double biggest = 0;
        for (int l = 0; l < nLayer; l++) {
            for (int h = 0; h < nHead; h++) {
                double z = refLd(ref.get(k++), n);
                double mm = refLd(ref.get(k++), n);
                assertEquals(z - refClean, zero.effect(l, h), TOL, "zero ablation effect of L" + l + "H" + h);
                assertEquals(mm - refClean, mean.effect(l, h), TOL, "mean ablation effect of L" + l + "H" + h);
                biggest = Math.max(biggest, Math.abs(zero.effect(l, h)));
            }
        }
        assertTrue(biggest > 0.1, "some head matters: " + biggest);
        // the mean the lab writes is the mean of the reference's kqv_out over every reference token
        float[][] means = lab.meanHeadOutputs(reference);
        assertEquals(nEmbd, means[0].length);
    }

    @Test
    void activationCacheEqualsTheReferenceAndIsBounded() throws Exception {
        int[] other = lab.tokenize("Once upon a time there was a dog.");
        List<int[]> prompts = List.of(clean, other);
        try (ActivationCache cache = lab.cache(
                prompts, List.of("l_out-*", "kq_soft_max-*", "Qcur-*", "kqv_out-*"), Lab.DEFAULT_CACHE_LIMIT)) {
            List<Map<String, Arr>> ref = LlamaReference.run(
                    model.path(),
                    List.of(
                            new Job(clean, "l_out-*", "kq_soft_max-*", "Qcur-*", "kqv_out-*"),
                            new Job(other, "l_out-*", "kq_soft_max-*", "Qcur-*", "kqv_out-*")),
                    tmp);
            long expect = 0;
            int hd = nEmbd / nHead;
            for (int pr = 0; pr < 2; pr++) {
                int n = prompts.get(pr).length;
                assertArrayEquals(prompts.get(pr), cache.tokens(pr));
                Map<String, Arr> r = ref.get(pr);
                for (int l = 0; l < nLayer; l++) {
                    for (int p = 0; p < n; p++) {
                        float[] res = cache.residual(pr, l, p);
                        for (int i = 0; i < nEmbd; i++) {
                            assertEquals(r.get("l_out-" + l).at(p, i), res[i], TOL);
                        }
                        for (int h = 0; h < nHead; h++) {
                            float[] z = cache.headOutput(pr, l, p, h, nHead);
                            for (int i = 0; i < hd; i++) {
                                assertEquals(r.get("kqv_out-" + l).at(p, h * hd + i), z[i], TOL);
                            }
                            for (int i = 0; i < hd; i++) {
                                assertEquals(
                                        r.get("Qcur-" + l).at(p, h, i),
                                        cache.tensor(pr, "Qcur-" + l).get(i, h, p),
                                        TOL);
                            }
                        }
                    }
                    for (int h = 0; h < nHead; h++) {
                        float[][] pat = cache.attentionPattern(pr, l, h);
                        assertEquals(n, pat.length);
                        for (int q = 0; q < n; q++) {
                            assertEquals(n, pat[q].length);
                            for (int kk = 0; kk < n; kk++) {
                                assertEquals(r.get("kq_soft_max-" + l).at(h, q, kk), pat[q][kk], TOL);
                            }
                        }
                    }
                }
                assertEquals("ROPE", cache.tensor(pr, "Qcur-0").op());
                expect += (long) nLayer * 4 * (nEmbd * n + (long) n * n * nHead + nEmbd * n + nEmbd * n);
            }
            assertEquals(
                    expect,
                    cache.bytes(),
                    "bytes held: l_out, kq_soft_max (own cells only), Qcur, kqv_out: " + cache.names(0));
            assertThrows(IllegalArgumentException.class, () -> cache.tensor(0, "ffn_out-0"));
        }
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> lab.cache(prompts, List.of("l_out-*"), 4096));
        assertTrue(e.getMessage().contains("activation cache limit of 4096 bytes"), e.getMessage());
        // the lab still works after a capture that failed
        assertEquals(clean.length, lab.logits(clean).length);
    }

    @Test
    void inductionScoresEqualTheReference() throws Exception {
        InductionResult r = lab.induction(8, 1, 7);
        int[] tokens = r.sequences().get(0);
        int n = tokens.length;
        assertEquals(17, n);
        assertEquals(1, tokens[0], "BOS first");
        for (int j = 0; j < 8; j++) {
            assertEquals(tokens[1 + j], tokens[9 + j], "the second copy repeats the first");
        }
        List<Job> jobs = new ArrayList<>();
        jobs.add(new Job(tokens, "kq_soft_max-*"));
        for (int l = 0; l < nLayer; l++) {
            for (int h = 0; h < nHead; h++) {
                jobs.add(new Job(tokens).ablate(l, h));
            }
        }
        List<Map<String, Arr>> ref = LlamaReference.run(model.path(), jobs, tmp);
        Arr base = ref.get(0).get("result_output");
        int k = 1;
        double best = 0;
        for (int l = 0; l < nLayer; l++) {
            Arr p = ref.get(0).get("kq_soft_max-" + l);
            for (int h = 0; h < nHead; h++) {
                double prefix = 0;
                for (int j = 0; j < 8; j++) {
                    int q = 9 + j;
                    prefix += p.at(h, q, q - 8 + 1) / 8;
                }
                Arr abl = ref.get(k++).get("result_output");
                double copy = 0;
                for (int j = 0; j < 7; j++) {
                    int q = 9 + j;
                    copy += (base.at(q, tokens[q + 1]) - abl.at(q, tokens[q + 1])) / 7;
                }
                assertEquals(prefix, r.prefixMatching()[l][h], TOL, "prefix matching L" + l + "H" + h);
                assertEquals(copy, r.copying()[l][h], TOL, "copying L" + l + "H" + h);
                best = Math.max(best, prefix);
            }
        }
        assertTrue(best > 1.0 / 17, "some head attends to the induction position more than uniformly: " + best);
    }

    @Test
    void steeringEqualsTheReferenceAndItsGgufIsReadByLlamaCpp() throws Exception {
        SteeringVector sv = lab.steeringVector(
                List.of(
                        lab.tokenize("Lily was very happy and smiled."),
                        lab.tokenize("The sun was warm and Lily laughed.")),
                List.of(
                        lab.tokenize("Lily was very sad and cried."),
                        lab.tokenize("The rain was cold and Lily was sad.")));
        double[] weights = {0, 0.5, 1, 1, 0.5};
        double scale = 2.0;
        float[] cv = sv.controlVector(weights, scale);
        assertEquals(nEmbd * (nLayer - 1), cv.length);
        float[][] plain = lab.logits(clean);
        float[][] steered = lab.steeredLogits(clean, cv);
        // a zero-weight vector changes nothing, bit for bit
        float[][] zero = lab.steeredLogits(clean, sv.controlVector(new double[nLayer], scale));
        for (int p = 0; p < clean.length; p++) {
            assertArrayEquals(plain[p], zero[p], "position " + p);
        }
        // the reference adds the same vectors to l_out-L
        Job job = new Job(clean);
        for (int l = 1; l < nLayer; l++) {
            double[] v = new double[nEmbd];
            for (int i = 0; i < nEmbd; i++) {
                v[i] = cv[(l - 1) * nEmbd + i];
            }
            job.steer.put(l, new Arr(v, new int[] {nEmbd}));
        }
        Arr ref = LlamaReference.run(model.path(), List.of(job), tmp.resolve("a"))
                .get(0)
                .get("result_output");
        double worst = 0;
        double moved = 0;
        for (int p = 0; p < clean.length; p++) {
            for (int t = 0; t < plain[p].length; t++) {
                worst = Math.max(worst, Math.abs(steered[p][t] - ref.at(p, t)));
                moved = Math.max(moved, Math.abs(steered[p][t] - plain[p][t]));
            }
        }
        assertTrue(worst < TOL, "worst |steered - reference| " + worst);
        assertTrue(moved > 0.1, "steering moves the logits: " + moved);
        // the GGUF, read back with llama.cpp's own gguf reader and assembled as its control-vector loader does
        Path file = tmp.resolve("steer.gguf");
        sv.writeGguf(file, weights, scale);
        float[] loaded = ControlVectorGguf.read(file, nEmbd, nLayer);
        assertArrayEquals(cv, loaded);
        float[][] fromFile = lab.steeredLogits(clean, loaded);
        for (int p = 0; p < clean.length; p++) {
            assertArrayEquals(steered[p], fromFile[p], "position " + p);
        }
        assertThrows(IllegalArgumentException.class, () -> sv.controlVector(new double[] {1, 0, 0, 0, 0}, 1));
    }

    @Test
    void outputSignaturesEqualTheReference() throws Exception {
        int[] prompt = lab.tokenize("Once upon a time");
        List<OutputSignature> sig = lab.signatures(prompt, 12, 5, dev.winnow.runtime.SamplerOptions.greedy());
        assertEquals(12, sig.size());
        int[] all = java.util.Arrays.copyOf(prompt, prompt.length + sig.size());
        for (int i = 0; i < sig.size(); i++) {
            all[prompt.length + i] = sig.get(i).token();
            assertEquals(1, sig.get(i).rank(), "greedy picks the top token");
            assertEquals(prompt.length + i, sig.get(i).position());
            assertEquals(sig.get(i).token(), sig.get(i).top().get(0).token());
        }
        assertEquals(
                ", there was a little girl named Lily.",
                model.vocabulary()
                        .detokenize(java.util.Arrays.copyOfRange(all, prompt.length, all.length), true, false)
                        .substring(0, 37));
        Arr ref = LlamaReference.run(model.path(), List.of(new Job(all)), tmp)
                .get(0)
                .get("result_output");
        for (int i = 0; i < sig.size(); i++) {
            int row = prompt.length - 1 + i;
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < ref.shape()[1]; t++) {
                max = Math.max(max, ref.at(row, t));
            }
            double z = 0;
            for (int t = 0; t < ref.shape()[1]; t++) {
                z += Math.exp(ref.at(row, t) - max);
            }
            double entropy = 0;
            for (int t = 0; t < ref.shape()[1]; t++) {
                double p = Math.exp(ref.at(row, t) - max) / z;
                entropy -= p > 0 ? p * Math.log(p) : 0;
            }
            OutputSignature s = sig.get(i);
            assertEquals(entropy, s.entropy(), TOL, "entropy of step " + i);
            assertEquals(Math.exp(ref.at(row, s.token()) - max) / z, s.probability(), TOL, "probability of step " + i);
            for (TokenScore t : s.top()) {
                assertEquals(ref.at(row, t.token()), t.logit(), TOL, "top logit of step " + i);
            }
        }
        // sampled: ranks below the top appear, and every step is one JSON line
        List<OutputSignature> sampled =
                lab.signatures(prompt, 20, 3, dev.winnow.runtime.SamplerOptions.sampling(1.5f, 11));
        assertTrue(sampled.stream().anyMatch(x -> x.rank() > 1), "a sampled step below the top");
        String line = sampled.get(0).toJsonLine();
        assertTrue(line.startsWith("{\"step\":0,\"position\":" + prompt.length + ",") && !line.contains("\n"), line);
        assertEquals(3, line.split("\"logit\"", -1).length - 1, line);
    }
}
