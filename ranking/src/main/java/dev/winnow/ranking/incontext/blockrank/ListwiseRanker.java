package dev.winnow.ranking.incontext.blockrank;

import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.AttentionDetail;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.capture.CaptureSession;
import dev.winnow.ranking.incontext.capture.QkCapture;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Full-attention listwise ranking: BlockRank's prompt with ordinary causal attention (every document sees the
 * instruction and all documents before it; cost grows quadratically with the number of documents) and BlockRank's
 * score (the signal token's attention at the scoring layer, renormalised over document tokens, averaged over heads,
 * summed per document). Flash attention and early exit as configured: it is the efficiency baseline of the BlockRank
 * benchmark. Candidates beyond {@code maxPromptCells} are ranked in windows merged as in {@link BlockRankRanker}.
 * The cancellation token is polled before every window and every decode of {@code batchTokens} tokens, and inside decodes
 * by llama.cpp; a cancelled call clears the KV cache and the captured rows.
 */
public final class ListwiseRanker extends AbstractInContextRanker {

    private final InContextOptions options;
    private final ModelTokenizer tokenizer;
    private final PromptBuilder prompts;
    private final int[] layers;
    private final CaptureSession session;

    /**
     * @param model   a causal language model with a Llama-type graph
     * @param options settings
     */
    public ListwiseRanker(Model model, InContextOptions options) {
        super("listwise");
        this.options = options;
        this.tokenizer = new ModelTokenizer(model.vocabulary());
        this.prompts = PromptBuilder.forModel(tokenizer, model, options);
        this.layers = options.layers(model.layerCount());
        this.session = new CaptureSession(model, options, layers, 1);
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation check) {
        PromptLayout full = prompts.blockRank(query, ordered);
        int n = ordered.size();
        WindowScores perLayer = new WindowScores(layers.length, n);
        int fixed = full.instruction().length() + full.query().length();
        long evaluated = 0;
        int windows = 0;
        int first = 0;
        while (first < n) {
            int last = first;
            int used = fixed;
            while (last < n && used + full.documents().get(last).length() <= options.maxPromptCells()) {
                used += full.documents().get(last).length();
                last++;
            }
            if (last == first) {
                throw new IllegalArgumentException("document " + (first + 1) + " does not fit maxPromptCells "
                        + options.maxPromptCells() + " beside instruction and query (" + fixed + " tokens)");
            }
            throwIfCancelled(check, "after " + first + " of " + n + " documents");
            evaluated += runWindow(full, first, last, perLayer, check);
            windows++;
            first = last;
        }
        WindowScores.Scores s = perLayer.merge();
        AttentionDetail[] details = new AttentionDetail[n];
        for (int d = 0; d < n; d++) {
            details[d] = AttentionDetail.of(full.documents().get(d).tokens(), s.tokenWeights()[d], tokenizer);
        }
        return new Scores(s.scores(), details, evaluated, full.totalTokens(), windows, full.truncatedDocuments());
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

    /** One causal prompt: instruction, documents [first, last), query. */
    private long runWindow(PromptLayout full, int first, int last, WindowScores perLayer, Cancellation check) {
        int instruction = full.instruction().length();
        int prefix = instruction;
        for (int d = first; d < last; d++) {
            prefix += full.documents().get(d).length();
        }
        int[] tokens = new int[prefix];
        System.arraycopy(full.instruction().tokens(), 0, tokens, 0, instruction);
        int at = instruction;
        for (int d = first; d < last; d++) {
            int[] t = full.documents().get(d).tokens();
            System.arraycopy(t, 0, tokens, at, t.length);
            at += t.length;
        }
        int batchTokens = Math.max(options.batchTokens(), full.query().length());
        int cells = prefix + full.query().length();
        session.ensure(cells, cells, batchTokens);
        long before = session.context().evaluatedTokens();
        session.begin(check);
        Batch batch = session.batch();
        for (int s = 0; s < prefix; s += batchTokens) {
            session.throwIfAborted("after " + s + " of " + prefix + " prompt tokens of a window");
            int e = Math.min(prefix, s + batchTokens);
            batch.clear();
            batch.addSequence(Arrays.copyOfRange(tokens, s, e), s, 0, false);
            session.decode(false, true, options.earlyExit());
        }
        session.throwIfAborted("before the query block");
        batch.clear();
        batch.addSequence(full.query().tokens(), prefix, 0, false);
        session.decode(true, false, options.earlyExit());
        QkCapture capture = session.capture();
        int rows = options.signalTokens();
        int qLen = full.query().length();
        for (int l = 0; l < layers.length; l++) {
            List<float[]> docKeys = new ArrayList<>();
            int off = instruction;
            for (int d = first; d < last; d++) {
                int len = full.documents().get(d).length();
                docKeys.add(capture.keys(l).copyRows(off, off + len));
                off += len;
            }
            float[] signal = capture.queries(l).copyRows(qLen - rows, qLen);
            perLayer.add(
                    l,
                    capture.shape(l, capture),
                    signal,
                    rows,
                    IntStream.range(first, last).toArray(),
                    docKeys);
        }
        capture.clear();
        return session.context().evaluatedTokens() - before;
    }

    @Override
    public void close() {
        session.close();
    }
}
