package dev.winnow.ranking.incontext.encoder;

import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ReusableContext;
import dev.winnow.runtime.Taps;
import dev.winnow.runtime.TensorListener;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.TensorView;
import dev.winnow.runtime.Vocabulary;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * In-context re-ranking with a BERT-type encoder (all-MiniLM-L6-v2, bge-small): one encoder pass over
 * {@code [CLS] query [SEP] doc1 [SEP] doc2 [SEP] ...}; the score of a document is the attention the query's tokens (or
 * [CLS]) pay to its tokens.
 *
 * <p><b>Positions.</b> The prefix {@code [CLS] query [SEP]} takes positions 0..P-1 and every document restarts at P,
 * so each document sees the same absolute position embeddings whatever its place in the list, and a pass needs only
 * P + (longest document) positions (at most the model's n_ctx_train, 512 for MiniLM), however many documents it holds.
 *
 * <p><b>Mask.</b> llama.cpp's encoder without a KV cache ({@code llm_graph_input_attn_no_cache::set_input} in
 * src/llama-graph.cpp) lets token i see token j exactly when their first sequence ids are equal; a token with several
 * sequence ids still only counts its first, and a sequence's positions must not decrease in batch order. That mask
 * cannot let the prefix see every document while the documents stay apart. So all tokens go in sequence 0, ordered by
 * position (documents interleaved), with flash attention off, and an intervention on {@code kq_soft_max-L} at every
 * layer rewrites each document row of the attention probabilities: the columns of other segments are set to 0 and the
 * row is renormalised over its own document. That equals a softmax under the mask "a document sees only itself; the
 * prefix sees everything". A document's hidden states therefore do not depend on the query or on the other documents
 * (the test checks it), and the prefix's attention at the read layer compares them.
 *
 * <p><b>Score and windows.</b> For a source row r and head h at layer l, let m_d be the probability mass on document d's
 * tokens (its closing [SEP] left out unless {@link EncoderRankerOptions#countSeparator()}) and m_P the mass on the
 * prefix's own tokens. The score is m_d / m_P averaged over heads and source rows. Both masses come from the same
 * softmax row, so its denominator (which depends on every document of the pass) cancels: the score is
 * sum over d's tokens of exp(s_rj) / sum over prefix tokens of exp(s_rj), a quantity of the document against the
 * query. Candidates that do not fit {@link EncoderRankerOptions#windowTokens()} are split into windows in canonical
 * order; each window carries the same prefix, and the window scores are merged as they are. The one cross-window
 * effect left is that the prefix's own hidden states below the read layer attended to that window's documents.
 *
 * <p>The cancellation token is polled before every window's pass and inside it by llama.cpp.
 */
public final class EncoderInContextRanker extends AbstractInContextRanker {

    private static final int PREFIX = 0;

    private final Model model;
    private final EncoderRankerOptions options;
    private final Vocabulary vocabulary;
    private final int readLayer;
    private final int maxPositions;
    private final ReusableContext slot = new ReusableContext();
    /** Extra taps for one pass (tests read hidden states and Q/K through it). */
    final List<Map.Entry<TensorSelector, TensorListener>> extraTaps = new ArrayList<>();
    /** Per document of the last pass its batch rows, in token order (tests map captured rows back). */
    int[][] lastDocumentRows;

    /**
     * @param model   a BERT-type encoder (non-causal, absolute position embeddings) converted to GGUF
     * @param options settings
     * @throws IllegalArgumentException if the model's architecture is not BERT-type ("bert", "nomic-bert", ...) or the layer is outside the model
     */
    public EncoderInContextRanker(Model model, EncoderRankerOptions options) {
        super("encoder");
        if (!model.architecture().contains("bert")) {
            throw new IllegalArgumentException("model " + model.path().getFileName()
                    + " is not a BERT-type encoder (architecture " + model.architecture() + ")");
        }
        this.model = model;
        this.options = options;
        this.vocabulary = model.vocabulary();
        int n = model.layerCount();
        this.readLayer = options.layer() < 0 ? n - 1 : options.layer();
        if (readLayer >= n) {
            throw new IllegalArgumentException("layer " + readLayer + " outside the model's 0.." + (n - 1));
        }
        this.maxPositions = model.trainingContextSize();
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation cancellation) {
        EncoderScores all = scoreOrdered(query, ordered, cancellation);
        double[] scores = all.select(options.source(), readLayer, options.sumOverLayers());
        return new Scores(scores, null, all.tokens(), all.tokens(), all.windows(), all.truncated());
    }

    /**
     * {@link #scoreAll(String, List, Cancellation)} cancelled by interrupting the calling thread.
     *
     * @param query      non-blank query
     * @param candidates one or more candidates with distinct docIds
     * @return the scores, documents in canonical order (first-stage score descending, then docId)
     * @throws CancellationException when the calling thread is interrupted
     */
    public EncoderScores scoreAll(String query, List<Candidate> candidates) {
        Thread caller = Thread.currentThread();
        return scoreAll(query, candidates, Cancellation.onInterrupt(caller));
    }

    /**
     * Scores the candidates at every layer up to the ranker's layer, for both sources, in the passes {@link #rank}
     * makes (for tuning layer and source on one set of passes).
     *
     * @param query      non-blank query
     * @param candidates one or more candidates with distinct docIds
     * @param cancellation the call's token (see {@link InContextRanker#rank(String, List, Cancellation)})
     * @return the scores, documents in canonical order (first-stage score descending, then docId)
     * @throws IllegalArgumentException for a blank query, no candidates, duplicate docIds, or a query too long to leave
     *                                  room for a document in the model's positions
     * @throws CancellationException    when the token was cancelled
     */
    public EncoderScores scoreAll(String query, List<Candidate> candidates, Cancellation cancellation) {
        Objects.requireNonNull(cancellation, "cancellation");
        Rankings.checkQuery(query);
        return scoreOrdered(query, Rankings.canonicalOrder(candidates), cancellation);
    }

    /** {@link #scoreAll} over candidates already checked and in canonical order. */
    private EncoderScores scoreOrdered(String query, List<Candidate> ordered, Cancellation check) {
        int[] prefix = prefixTokens(query.strip());
        int sep = prefix[prefix.length - 1];
        int docRoom = Math.min(options.documentTokenBudget(), maxPositions - prefix.length - 1);
        if (docRoom < 1) {
            throw new IllegalArgumentException("query of " + prefix.length + " tokens leaves no room for a document in "
                    + maxPositions + " positions");
        }
        int[][] docs = new int[ordered.size()][];
        int truncated = 0;
        for (int d = 0; d < docs.length; d++) {
            String text = ordered.get(d).content();
            int[] t = vocabulary.tokenize(text.isBlank() ? " " : text, false, false);
            if (t.length > docRoom) {
                t = Arrays.copyOf(t, docRoom);
                truncated++;
            }
            int[] block = Arrays.copyOf(t, t.length + 1);
            block[t.length] = sep;
            docs[d] = block;
        }
        int windowTokens = Math.max(options.windowTokens(), prefix.length + docRoom + 1);
        double[][] q = new double[readLayer + 1][docs.length];
        double[][] c = new double[readLayer + 1][docs.length];
        int windows = 0;
        long tokens = 0;
        int next = 0;
        while (next < docs.length) {
            int first = next;
            int size = prefix.length;
            while (next < docs.length && size + docs[next].length <= windowTokens) {
                size += docs[next].length;
                next++;
            }
            throwIfCancelled(check, "after " + first + " of " + docs.length + " documents");
            pass(prefix, docs, first, next, size, q, c, check);
            windows++;
            tokens += size;
        }
        return new EncoderScores(ordered, q, c, windows, tokens, truncated);
    }

    /** [CLS] query [SEP], the query cut to its budget (the closing [SEP] kept). */
    private int[] prefixTokens(String query) {
        int[] t = vocabulary.tokenize(query, true, false);
        if (t.length < 3) {
            throw new IllegalArgumentException("query \"" + query + "\" tokenizes to " + t.length
                    + " tokens; expected [CLS] query [SEP] from a BERT vocabulary");
        }
        int keep = options.queryTokenBudget() + 2;
        if (t.length > keep) {
            int[] cut = Arrays.copyOf(t, keep);
            cut[keep - 1] = t[t.length - 1];
            return cut;
        }
        return t;
    }

    /** One encoder pass over the prefix and documents [first, end); adds scores of every layer and source. */
    private void pass(
            int[] prefix,
            int[][] docs,
            int first,
            int end,
            int size,
            double[][] qOut,
            double[][] cOut,
            Cancellation check) {
        ensureContext(size);
        Context context = slot.context();
        Batch batch = slot.batch();
        int nDocs = end - first;
        // segment of each batch row: 0 = prefix, 1 + i = document first + i; rows sorted by position
        int[] segment = new int[size];
        int[] tokenAt = new int[size];
        int[] posAt = new int[size];
        int row = 0;
        for (int p = 0; p < prefix.length; p++) {
            segment[row] = PREFIX;
            tokenAt[row] = prefix[p];
            posAt[row++] = p;
        }
        int longest = 0;
        for (int d = first; d < end; d++) {
            longest = Math.max(longest, docs[d].length);
        }
        int[][] docRows = new int[nDocs][];
        for (int d = 0; d < nDocs; d++) {
            docRows[d] = new int[docs[first + d].length];
        }
        for (int off = 0; off < longest; off++) {
            for (int d = 0; d < nDocs; d++) {
                int[] t = docs[first + d];
                if (off < t.length) {
                    segment[row] = 1 + d;
                    tokenAt[row] = t[off];
                    posAt[row] = prefix.length + off;
                    docRows[d][off] = row++;
                }
            }
        }
        batch.clear();
        for (int i = 0; i < size; i++) {
            batch.add(tokenAt[i], posAt[i], 0, i == 0);
        }
        int queryRowsFrom = 1;
        int queryRowsTo = prefix.length - 1;
        Taps taps = context.taps();
        List<Taps.Subscription> subs = new ArrayList<>();
        try {
            for (int l = 0; l <= readLayer; l++) {
                final int layer = l;
                subs.add(taps.intervene(
                        TensorSelector.name("kq_soft_max-" + l), v -> maskDocumentRows(v, size, docRows)));
                subs.add(taps.tap(TensorSelector.name("kq_soft_max-" + l), v -> {
                    readScores(v, prefix.length, docRows, queryRowsFrom, queryRowsTo, qOut[layer], first);
                    readScores(v, prefix.length, docRows, 0, 1, cOut[layer], first);
                    if (layer == readLayer) {
                        v.stopGraph();
                    }
                }));
            }
            for (Map.Entry<TensorSelector, TensorListener> e : extraTaps) {
                subs.add(taps.tap(e.getKey(), e.getValue()));
            }
            lastDocumentRows = docRows;
            context.kvCache().clear(false);
            context.cancellation(check);
            context.encode(batch);
        } finally {
            context.cancellation(null);
            subs.forEach(Taps.Subscription::close);
        }
    }

    /** Renormalises each document row of {@code kq_soft_max} ([n_kv, n_tokens, n_head]) over its own document. */
    private static void maskDocumentRows(TensorView v, int size, int[][] docRows) {
        checkShape(v, size);
        MemorySegment data = v.data();
        long nb1 = v.nb(1);
        long nb2 = v.nb(2);
        long rowBytes = v.ne(0) * Float.BYTES;
        int heads = (int) v.ne(2);
        float[] own = new float[0];
        for (int h = 0; h < heads; h++) {
            for (int[] rows : docRows) {
                if (own.length < rows.length) {
                    own = new float[rows.length];
                }
                for (int r : rows) {
                    long base = h * nb2 + r * nb1;
                    double sum = 0;
                    for (int j = 0; j < rows.length; j++) {
                        own[j] = data.get(ValueLayout.JAVA_FLOAT, base + (long) rows[j] * Float.BYTES);
                        sum += own[j];
                    }
                    data.asSlice(base, rowBytes).fill((byte) 0);
                    float inv = (float) (1.0 / sum);
                    for (int j = 0; j < rows.length; j++) {
                        data.set(ValueLayout.JAVA_FLOAT, base + (long) rows[j] * Float.BYTES, own[j] * inv);
                    }
                }
            }
        }
    }

    /**
     * Adds, for each document, m_d / m_P averaged over heads and the source rows [from, to) to {@code out[first + d]}.
     */
    private void readScores(
            TensorView v, int prefixLength, int[][] docRows, int from, int to, double[] out, int first) {
        MemorySegment data = v.data();
        long nb1 = v.nb(1);
        long nb2 = v.nb(2);
        int heads = (int) v.ne(2);
        double weight = 1.0 / ((double) heads * (to - from));
        for (int h = 0; h < heads; h++) {
            for (int r = from; r < to; r++) {
                long base = h * nb2 + r * nb1;
                double prefixMass = 0;
                for (int j = 0; j < prefixLength; j++) {
                    prefixMass += data.get(ValueLayout.JAVA_FLOAT, base + (long) j * Float.BYTES);
                }
                for (int d = 0; d < docRows.length; d++) {
                    int[] rows = docRows[d];
                    int n = options.countSeparator() ? rows.length : rows.length - 1;
                    double m = 0;
                    for (int j = 0; j < n; j++) {
                        m += data.get(ValueLayout.JAVA_FLOAT, base + (long) rows[j] * Float.BYTES);
                    }
                    out[first + d] += weight * m / prefixMass;
                }
            }
        }
    }

    private static void checkShape(TensorView v, int size) {
        if (v.ne(1) != size || v.ne(0) < size || v.nb(0) != Float.BYTES) {
            throw new IllegalStateException("unexpected " + v.name() + " shape " + Arrays.toString(v.shape())
                    + " for a pass of " + size + " tokens");
        }
    }

    private void ensureContext(int size) {
        int n = Math.max(512, (size + 255) / 256 * 256);
        ContextOptions o = ContextOptions.defaults()
                .withContextSize(n)
                .withBatchSize(n)
                .withUbatchSize(n)
                .withMaxSequences(1)
                .withThreads(options.threads())
                .withFlashAttention(FlashAttention.DISABLED)
                .withTaps(true)
                .withEmbeddings(true, Pooling.NONE);
        slot.ensure(c -> c.ubatchSize() >= size, () -> model.newContext(o), n);
    }

    @Override
    public void close() {
        slot.close();
    }
}
