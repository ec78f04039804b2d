package dev.winnow.ranking.incontext.icr;

import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.AttentionDetail;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.capture.CaptureSession;
import dev.winnow.ranking.incontext.capture.FloatRows;
import dev.winnow.ranking.incontext.capture.QkCapture;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.score.IcrAttention;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In-context re-ranking, ICR (Chen et al. 2024, "Attention in Large Language Models Yields Efficient Zero-Shot
 * Re-Rankers"), zero-shot: an ordinary causal prompt (instruction without the query, the documents, then the query
 * block), the attention from every query-block token to every document token summed over all layers and heads
 * (averaged over the query tokens), minus the same with the content-free query "N/A", which reuses the documents' KV
 * cache (the query's cells are removed and "N/A" decoded at the same positions); calibrated token scores below
 * mean - 2 std are dropped, a document scores the sum of the rest ({@link IcrAttention}).
 *
 * <p>Attention is computed Java-side from the post-RoPE Q and K of every layer captured while llama.cpp decodes with
 * flash attention as configured; the graph stops after the last layer's Q/K.
 *
 * <p><b>Windows.</b> Candidates that do not fit {@code maxPromptCells} (instruction + documents + the longer of
 * the query and "N/A" blocks) are split, in canonical order, into consecutive windows of as many documents as fit;
 * each window is an ICR prompt of its own (its documents labelled 1..k), calibrated with "N/A" on its own document
 * cache, and <em>the 2-sigma filter's mean and std are taken per window</em>: the filter removes tokens the
 * content-free query attends far more than the real one (attention sinks, positional habits), which are properties
 * of the prompt they were measured in, and the magnitudes of calibrated attention differ between prompts of
 * different lengths, so pooling the windows would drop tokens of the short windows for their scale alone. To put
 * the windows on one scale, a window's calibrated scores (and token weights) are multiplied by
 * {@code cells_w / cells_max}, where {@code cells_w} is the number of KV cells the window's query block attends
 * (instruction + its documents + query block) and {@code cells_max} the largest over the windows: a token's softmax
 * attention is {@code exp(s) / Z} with {@code Z} growing about linearly with the cells attended, so in a shorter
 * prompt every token's attention, and its difference from "N/A", is inflated by about {@code cells_max / cells_w}.
 * So a window's scores are exactly its documents' scores ranked alone, times that factor; with one window the
 * factor is 1 and nothing changes. The approximation: documents attend causally to the documents before them in
 * their own window only, and the factor corrects the scale to first order, not the shape, of the attention.
 *
 * <p>The cancellation token is polled before every window, every decode of {@code batchTokens} tokens and each query block, and inside
 * decodes by llama.cpp; a cancelled call clears the KV cache and the captured rows.
 */
public final class IcrRanker extends AbstractInContextRanker {

    /** The content-free calibration query of ICR. */
    public static final String CONTENT_FREE_QUERY = "N/A";

    private final InContextOptions options;
    private final ModelTokenizer tokenizer;
    private final PromptBuilder prompts;
    private final int[] layers;
    private final boolean reuseDocumentCache;
    private final CaptureSession session;

    /**
     * @param model   a causal language model with a Llama-type graph
     * @param options settings (scoring layer and signal tokens are not used: ICR reads every layer;
     *                {@code maxPromptCells} bounds each window)
     */
    public IcrRanker(Model model, InContextOptions options) {
        this(model, options, true);
    }

    /**
     * @param reuseDocumentCache false re-decodes instruction and documents for the calibration query (two full
     *                           passes; for tests and comparison)
     */
    IcrRanker(Model model, InContextOptions options, boolean reuseDocumentCache) {
        super("icr");
        this.options = options;
        this.tokenizer = new ModelTokenizer(model.vocabulary());
        this.prompts = PromptBuilder.forModel(tokenizer, model, options);
        this.layers = options.withSumOverLayers(true).layers(model.layerCount());
        this.reuseDocumentCache = reuseDocumentCache;
        this.session = new CaptureSession(model, options, layers, 1);
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation check) {
        PromptLayout.Block contentFree = prompts.queryBlock(CONTENT_FREE_QUERY);
        List<Window> windows = windows(query, ordered);
        int maxCells = windows.stream().mapToInt(Window::cells).max().orElseThrow();
        double[] scores = new double[ordered.size()];
        AttentionDetail[] details = new AttentionDetail[ordered.size()];
        long evaluated = 0;
        long promptTokens = 0;
        int truncated = 0;
        for (int w = 0; w < windows.size(); w++) {
            throwIfCancelled(check, "before window " + (w + 1) + " of " + windows.size());
            Window window = windows.get(w);
            long before = session.context() == null ? 0 : session.context().evaluatedTokens();
            IcrAttention.Scores s = runWindow(window.layout(), contentFree, check);
            evaluated += session.context().evaluatedTokens() - before;
            promptTokens += window.layout().totalTokens() + contentFree.length();
            truncated += window.layout().truncatedDocuments();
            double scale = (double) window.cells() / maxCells;
            for (int j = 0; j < window.size(); j++) {
                int d = window.first() + j;
                float[] weights = s.tokenWeights()[j];
                if (scale != 1) {
                    for (int t = 0; t < weights.length; t++) {
                        weights[t] = (float) (weights[t] * scale);
                    }
                }
                scores[d] = s.scores()[j] * scale;
                details[d] =
                        AttentionDetail.of(window.layout().documents().get(j).tokens(), weights, tokenizer);
            }
        }
        return new Scores(scores, details, evaluated, promptTokens, windows.size(), truncated);
    }

    /** A cancelled call leaves neither KV cells nor captured rows behind. */
    @Override
    protected void afterCancel() {
        session.clear();
    }

    @Override
    protected void afterCall() {
        session.end();
    }

    /**
     * One ICR prompt over documents [first, first + size) of the canonical order.
     *
     * @param first  index of its first document in the canonical order
     * @param size   number of documents, >= 1
     * @param layout the prompt: instruction, the window's documents (labelled 1..size, or by docId), query block
     * @param cells  KV cells the query block's last token attends: instruction + documents + query block
     */
    record Window(int first, int size, PromptLayout layout, int cells) {}

    /**
     * Splits the documents (canonical order) into consecutive windows, each as many documents as fit
     * {@code maxPromptCells} beside the instruction and the longer of the query and "N/A" blocks.
     *
     * @throws IllegalArgumentException when a document alone does not fit
     */
    List<Window> windows(String query, List<Candidate> ordered) {
        PromptLayout full = prompts.queryLast(query, ordered);
        int blocks = Math.max(
                full.query().length(), prompts.queryBlock(CONTENT_FREE_QUERY).length());
        int fixed = full.instruction().length() + blocks;
        List<Window> out = new ArrayList<>();
        int first = 0;
        while (first < ordered.size()) {
            // estimate with the blocks of the whole list, then check the window's own prompt (its labels restart at 1)
            int end = first;
            int used = fixed;
            while (end < ordered.size() && used + full.documents().get(end).length() <= options.maxPromptCells()) {
                used += full.documents().get(end).length();
                end++;
            }
            end = Math.max(end, first + 1);
            while (true) {
                PromptLayout layout = prompts.queryLast(query, ordered.subList(first, end));
                int prefix = layout.instruction().length() + layout.documentTokens();
                int cells = prefix + blocks;
                if (cells <= options.maxPromptCells()) {
                    out.add(new Window(
                            first, end - first, layout, prefix + layout.query().length()));
                    break;
                }
                if (end - first == 1) {
                    throw new IllegalArgumentException("ICR: document "
                            + ordered.get(first).docId() + " needs "
                            + cells + " KV cells with instruction and query, more than maxPromptCells "
                            + options.maxPromptCells() + ": lower the document token budget or raise maxPromptCells");
                }
                end--;
            }
            first = end;
        }
        return out;
    }

    /** Ranks one window's prompt: real query and "N/A" on the same document cache, calibrated, filtered. */
    private IcrAttention.Scores runWindow(PromptLayout layout, PromptLayout.Block contentFree, Cancellation check) {
        int n = layout.documents().size();
        int prefix = layout.instruction().length() + layout.documentTokens();
        int[] tokens = Arrays.copyOf(layout.instruction().tokens(), prefix);
        int[] docStart = new int[n];
        int[] docLength = new int[n];
        int at = layout.instruction().length();
        for (int d = 0; d < n; d++) {
            int[] t = layout.documents().get(d).tokens();
            System.arraycopy(t, 0, tokens, at, t.length);
            docStart[d] = at;
            docLength[d] = t.length;
            at += t.length;
        }
        int batchTokens =
                Math.max(options.batchTokens(), Math.max(layout.query().length(), contentFree.length()));
        int cells = prefix + Math.max(layout.query().length(), contentFree.length());
        session.ensure(cells, cells, batchTokens);
        session.begin(check);
        decodePrefix(tokens, batchTokens);
        session.throwIfAborted("before the query block");
        double[] real = queryAttention(prefix, layout.query().tokens());
        if (reuseDocumentCache) {
            session.context().kvCache().removeSequence(0, prefix, -1);
            truncateKeys(prefix);
        } else {
            session.clear();
            decodePrefix(tokens, batchTokens);
        }
        session.throwIfAborted("before the content-free query block");
        double[] free = queryAttention(prefix, contentFree.tokens());
        session.capture().clear();
        return IcrAttention.calibrate(real, free, docStart, docLength);
    }

    private void decodePrefix(int[] tokens, int batchTokens) {
        Batch batch = session.batch();
        for (int s = 0; s < tokens.length; s += batchTokens) {
            session.throwIfAborted("after " + s + " of " + tokens.length + " prompt tokens");
            int e = Math.min(tokens.length, s + batchTokens);
            batch.clear();
            batch.addSequence(Arrays.copyOfRange(tokens, s, e), s, 0, false);
            session.decode(false, true, true);
        }
    }

    /** Decodes a query block after the prefix; returns the attention per key summed over layers and heads. */
    private double[] queryAttention(int prefix, int[] queryTokens) {
        Batch batch = session.batch();
        batch.clear();
        batch.addSequence(queryTokens, prefix, 0, false);
        session.decode(true, true, true);
        QkCapture capture = session.capture();
        int nq = queryTokens.length;
        int[] qKey = new int[nq];
        for (int i = 0; i < nq; i++) {
            qKey[i] = prefix + i;
        }
        double[] into = new double[prefix + nq];
        for (int l = 0; l < layers.length; l++) {
            FloatRows k = capture.keys(l);
            IcrAttention.accumulate(
                    capture.shape(l, capture),
                    capture.queries(l).copyRows(0, nq),
                    nq,
                    qKey,
                    k.copyRows(0, k.rows()),
                    into);
        }
        return into;
    }

    private void truncateKeys(int prefix) {
        QkCapture capture = session.capture();
        for (int l = 0; l < layers.length; l++) {
            capture.keys(l).truncate(prefix);
            capture.queries(l).clear();
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
