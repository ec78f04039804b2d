package dev.winnow.ranking.dense;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.UnitVectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one embedding path of a model-backed {@link Embedder}: instructions, token budget, batching, normalisation,
 * counting, progress and cancellation live here; an implementation only tokenizes and runs its model on one packed
 * batch. {@link LlamaEmbedder} (llama.cpp) is one; an ONNX Runtime embedder is meant to be another, implementing the
 * same four methods.
 *
 * <p>The path of {@link #embed(List, Role, Cancellation)}:
 *
 * <ol>
 *   <li>instruction: a query is stripped and prefixed with {@link EmbeddingInstructions#query()}, a document with
 *       {@link EmbeddingInstructions#document()} (usually none); a blank text embeds as one space;
 *   <li>tokens: {@link #tokenize} adds the model's special tokens ({@code [CLS] ... [SEP]}); a text longer than
 *       {@link #maxTokens()} is cut to it, keeping a closing special token ({@link #isClosingToken}), and counted
 *       ({@link #truncatedCount()}): nothing is cut silently;
 *   <li>batches: texts are sorted longest first and packed, in that order, into batches of at most {@link
 *       #maxSequences()} sequences and {@link #prepare the cells} the implementation has room for; sequence {@code i}
 *       of a {@link PackedBatch} is the batch's {@code i}-th text;
 *   <li>model call: {@link #run} returns one pooled vector per sequence (the pooling is the implementation's, named by
 *       {@link #pooling()});
 *   <li>normalisation: each vector is scaled to unit L2 norm here ({@link #normalize}), never by the implementation.
 * </ol>
 *
 * <p>Query vectors are cached (the last {@value #QUERY_CACHE_SIZE}, keyed by the prefixed text), so methods that
 * search the same queries again embed each once. Calls are serialised (one model state): parallel query workers may
 * share one embedder. Cancellation: a {@link Cancellation} token, either the call's own ({@link #embed(List, Role,
 * Cancellation)}) or one attached to the embedder ({@link #cancellation(Cancellation)}, for calls made on the
 * caller's behalf such as an index's backfill), or interrupting the embedding thread, stops before the next batch, and
 * inside the current one where the implementation polls {@link #aborted()}; the call throws {@link
 * CancellationException} and the embedder stays usable.
 */
public abstract class BatchingEmbedder implements Embedder {

    /** Query vectors kept by {@link #embedQuery}. */
    public static final int QUERY_CACHE_SIZE = 10_000;

    /**
     * Sequences for one model call, in batch order: sequence {@code i} is {@code sequences().get(i)}, each at most
     * {@link #maxTokens()} tokens, together at most the cells {@link #prepare} returned.
     *
     * @param sequences token ids of each sequence, special tokens included
     * @param tokens the total number of tokens
     */
    protected record PackedBatch(List<int[]> sequences, int tokens) {}

    private final Map<String, float[]> queryCache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > QUERY_CACHE_SIZE;
        }
    };
    private final int maxTokens;
    private final int maxSequences;
    private final String documentInstruction;
    private final AtomicLong truncated = new AtomicLong();
    private final AtomicLong embedded = new AtomicLong();
    private final AtomicLong tokenTotal = new AtomicLong();
    private volatile String queryInstruction;
    private volatile Cancellation attached;
    private volatile Thread worker;
    private volatile Cancellation callAbort;
    private volatile ProgressListener progress = ProgressListener.NONE;

    /**
     * @param maxTokens tokens kept per text, special tokens included, {@code >= 2}
     * @param maxSequences texts per model call, {@code >= 1}
     * @param instructions the query and document instructions
     * @throws IllegalArgumentException when a bound is out of range
     */
    protected BatchingEmbedder(int maxTokens, int maxSequences, EmbeddingInstructions instructions) {
        if (maxTokens < 2) {
            throw new IllegalArgumentException("maxTokens must be >= 2 (room for [CLS] and [SEP]), got " + maxTokens);
        }
        if (maxSequences < 1) {
            throw new IllegalArgumentException("maxSequences must be >= 1, got " + maxSequences);
        }
        this.maxTokens = maxTokens;
        this.maxSequences = maxSequences;
        this.queryInstruction = instructions.query();
        this.documentInstruction = instructions.document();
    }

    // ---- what an implementation provides ----

    /**
     * Tokenizes a text as the model reads it, with its special tokens, not cut.
     *
     * @param text a non-blank text
     * @return token ids, at least one
     */
    protected abstract int[] tokenize(String text);

    /**
     * @param token the last token of a text that is cut
     * @return whether it closes every text ({@code [SEP]}) and so is kept at the end of a cut text
     */
    protected abstract boolean isClosingToken(int token);

    /**
     * Makes room for batches that hold a sequence of {@code longest} tokens (e.g. grows a context), before the first
     * batch of a call.
     *
     * @param longest the longest sequence of the call, {@code 1..maxTokens()}
     * @return the token cells one packed batch may fill, {@code >= longest}
     */
    protected abstract int prepare(int longest);

    /**
     * Runs the model on one packed batch. Called on the embedding thread; a long call should poll {@link #aborted()}
     * and throw {@link CancellationException} when it turns true.
     *
     * @param batch the sequences
     * @return one pooled, not necessarily unit-length, vector of {@link #dimension()} floats per sequence, in order
     */
    protected abstract float[][] run(PackedBatch batch);

    /**
     * @return how the implementation pools a sequence's token states into one vector
     */
    public abstract Pooling pooling();

    // ---- the path ----

    /**
     * @return the token budget per text, special tokens included
     */
    public final int maxTokens() {
        return maxTokens;
    }

    /**
     * @return the most texts per model call
     */
    public final int maxSequences() {
        return maxSequences;
    }

    /**
     * @return the instructions in force
     */
    public final EmbeddingInstructions instructions() {
        return new EmbeddingInstructions(queryInstruction, documentInstruction);
    }

    /**
     * @return the text prefixed to every query; empty for none
     */
    public final String queryInstruction() {
        return queryInstruction;
    }

    /**
     * Sets the text prefixed to every query (documents never get it). Cached query vectors are keyed by the prefixed
     * text, so none made with another instruction is returned. It changes no document vector, so it is not part of
     * {@link #describe()}: an index embedded by this model serves queries with or without it.
     *
     * @param instruction the prefix, used as given (end it with a space); empty for none
     * @throws NullPointerException when null
     */
    public final void setQueryInstruction(String instruction) {
        queryInstruction = Objects.requireNonNull(instruction, "query instruction");
    }

    /**
     * @return the text prefixed to every document; empty for none (part of {@link #describe()} when not empty)
     */
    public final String documentInstruction() {
        return documentInstruction;
    }

    /**
     * @return how many texts (documents and queries) were cut to {@link #maxTokens()} so far
     */
    @Override
    public final long truncatedCount() {
        return truncated.get();
    }

    /**
     * @return how many texts were embedded so far (documents and queries; cached queries not counted)
     */
    public final long embeddedCount() {
        return embedded.get();
    }

    /**
     * @return how many tokens went through the model so far
     */
    public final long tokenCount() {
        return tokenTotal.get();
    }

    /**
     * Sets a listener told, after every batch, how many texts this embedder has embedded in total ({@link
     * #embeddedCount()}): {@code onProgress(embeddedCount(), ProgressListener.UNKNOWN, "texts")}, on the embedding
     * thread (the count grows across calls; a caller that wants one run's share subtracts the count it saw before).
     * Null removes it.
     *
     * @param listener the listener, or null
     */
    public final void progressListener(ProgressListener listener) {
        this.progress = ProgressListener.orNone(listener);
    }

    /**
     * Attaches a cancellation token that every later call polls, besides its own, until it is detached: cancelling it
     * stops the embedding in progress before its next batch (and inside the current one where the implementation
     * polls), with a {@link CancellationException}. For calls that are made on the caller's behalf, such as {@link
     * dev.winnow.ranking.index.DocumentIndex#embedMissing}. A later call embeds again once the token is {@linkplain
     * Cancellation#reset() reset} or detached.
     *
     * @param token the token, or null to detach
     */
    public final void cancellation(Cancellation token) {
        this.attached = token;
    }

    /**
     * @return the token attached with {@link #cancellation(Cancellation)}, or null
     */
    public final Cancellation cancellation() {
        return attached;
    }

    /**
     * Whether the embedding in progress should stop: the attached token ({@link #cancellation(Cancellation)}) or the
     * call's own is cancelled, or the embedding thread is interrupted. Implementations poll it inside a long model
     * call.
     *
     * @return true to stop
     */
    protected final boolean aborted() {
        Cancellation t = attached;
        if (t != null && t.isCancelled()) {
            return true;
        }
        Thread w = worker;
        if (w != null && w.isInterrupted()) {
            return true;
        }
        Cancellation a = callAbort;
        return a != null && a.isCancelled();
    }

    /** Why {@link #aborted()} is true: the reason of the token that is cancelled, or "interrupted". */
    private String abortReason() {
        for (Cancellation c : new Cancellation[] {attached, callAbort}) {
            String r = c == null ? null : c.reason();
            if (r != null) {
                return r;
            }
        }
        return "interrupted";
    }

    /**
     * Tokens of a text as it is embedded (no instruction added here): the model's special tokens added, cut to {@link
     * #maxTokens()} keeping a closing special token. Does not count truncation.
     *
     * @param text the text (a blank or null text embeds as one space)
     * @return token ids, {@code 1..maxTokens()} of them
     */
    public final int[] tokens(String text) {
        return cut(tokenize(text == null || text.isBlank() ? " " : text));
    }

    private int[] cut(int[] t) {
        if (t.length <= maxTokens) {
            return t;
        }
        int[] c = Arrays.copyOf(t, maxTokens);
        if (isClosingToken(t[t.length - 1])) {
            c[maxTokens - 1] = t[t.length - 1];
        }
        return c;
    }

    /** The text a role embeds: a query stripped and prefixed, a document prefixed. */
    private String instructed(String text, Role role) {
        String t = text == null ? "" : text;
        return role == Role.QUERY ? queryInstruction + t.strip() : documentInstruction + t;
    }

    private int[] countedTokens(String instructed) {
        int[] t = tokenize(instructed.isBlank() ? " " : instructed);
        if (t.length > maxTokens) {
            truncated.incrementAndGet();
        }
        return cut(t);
    }

    @Override
    public final float[][] embed(List<String> texts, Role role) {
        return embed(texts, role, null);
    }

    /**
     * {@link #embed(List, Role)} with an abort check of this call, polled before every batch and inside it.
     *
     * @param texts the texts, in order
     * @param role what the texts are
     * @param abort the call's cancellation token, polled before every batch and inside it; null for none
     * @return one unit vector of {@link #dimension()} floats per text, in order
     * @throws CancellationException when cancelled, interrupted or aborted
     */
    public final float[][] embed(List<String> texts, Role role, Cancellation abort) {
        Objects.requireNonNull(role, "role");
        float[][] out = new float[texts.size()][];
        if (role == Role.DOCUMENT) {
            int[][] t = new int[out.length][];
            for (int i = 0; i < t.length; i++) {
                t[i] = countedTokens(instructed(texts.get(i), role));
            }
            return embedTokens(t, abort);
        }
        // queries: cached by the prefixed text
        List<Integer> missing = new ArrayList<>();
        List<String> keys = new ArrayList<>(out.length);
        synchronized (queryCache) {
            for (int i = 0; i < out.length; i++) {
                String q = instructed(texts.get(i), role);
                keys.add(q);
                float[] hit = queryCache.get(q);
                if (hit != null) {
                    out[i] = hit.clone();
                } else {
                    missing.add(i);
                }
            }
        }
        if (missing.isEmpty()) {
            return out;
        }
        int[][] t = new int[missing.size()][];
        for (int j = 0; j < t.length; j++) {
            t[j] = countedTokens(keys.get(missing.get(j)));
        }
        float[][] v = embedTokens(t, abort);
        synchronized (queryCache) {
            for (int j = 0; j < v.length; j++) {
                out[missing.get(j)] = v[j];
                queryCache.put(keys.get(missing.get(j)), v[j].clone());
            }
        }
        return out;
    }

    /** Forgets the cached query vectors (e.g. before timing). */
    public final void clearQueryCache() {
        synchronized (queryCache) {
            queryCache.clear();
        }
    }

    /**
     * Embeds token sequences (each at most {@link #maxTokens()} long, as {@link #tokens} makes them): the batch loop.
     *
     * @param tokens one token array per text
     * @param abort the call's cancellation token; null for none
     * @return one unit vector of {@link #dimension()} floats per text, in order
     * @throws IllegalArgumentException when a sequence is empty or longer than {@link #maxTokens()}
     * @throws CancellationException when cancelled, interrupted or aborted
     */
    public final synchronized float[][] embedTokens(int[][] tokens, Cancellation abort) {
        float[][] out = new float[tokens.length][];
        if (tokens.length == 0) {
            return out;
        }
        Integer[] order = new Integer[tokens.length];
        int longest = 0;
        for (int i = 0; i < tokens.length; i++) {
            order[i] = i;
            if (tokens[i].length == 0 || tokens[i].length > maxTokens) {
                throw new IllegalArgumentException(
                        "text " + i + " has " + tokens[i].length + " tokens; expected 1.." + maxTokens);
            }
            longest = Math.max(longest, tokens[i].length);
        }
        // longest first: similar lengths share a batch
        Arrays.sort(order, (a, b) -> Integer.compare(tokens[b].length, tokens[a].length));
        worker = Thread.currentThread();
        callAbort = abort;
        try {
            int perBatch = prepare(longest);
            int next = 0;
            while (next < order.length) {
                if (aborted()) {
                    throw new CancellationException(
                            "embedding cancelled after " + next + " of " + order.length + " texts: " + abortReason());
                }
                int first = next;
                int cells = 0;
                List<int[]> seqs = new ArrayList<>();
                boolean padded = padsToLongest();
                // the batch's longest sequence is its first (longest-first order)
                int head = tokens[order[first]].length;
                while (next < order.length
                        && next - first < maxSequences
                        && fits(padded, head, next - first, cells, tokens[order[next]].length, perBatch)) {
                    seqs.add(tokens[order[next]]);
                    cells += tokens[order[next]].length;
                    next++;
                }
                float[][] pooled = run(new PackedBatch(List.copyOf(seqs), cells));
                if (pooled.length != seqs.size()) {
                    throw new IllegalStateException(
                            "the model returned " + pooled.length + " vectors for " + seqs.size() + " sequences");
                }
                for (int i = first; i < next; i++) {
                    out[order[i]] = normalize(pooled[i - first]);
                }
                tokenTotal.addAndGet(cells);
                long done = embedded.addAndGet(next - first);
                progress.onProgress(done, ProgressListener.UNKNOWN, "texts");
            }
        } finally {
            worker = null;
            callAbort = null;
        }
        return out;
    }

    /**
     * Most padding a padded batch admits per sequence, as a fraction of the batch's longest sequence ({@link
     * #padsToLongest()}): a text shorter than {@code (1 - MAX_PADDING)} times the batch's first starts a new batch.
     */
    public static final double MAX_PADDING = 0.125;

    /** Whether the next sequence (of {@code length} tokens) joins a batch that holds {@code count} sequences. */
    private static boolean fits(boolean padded, int head, int count, int cells, int length, int perBatch) {
        if (count == 0) {
            return true;
        }
        if (!padded) {
            return cells + length <= perBatch;
        }
        // every sequence takes the head's cells; keep lengths within MAX_PADDING of the head (length buckets)
        return (long) (count + 1) * head <= perBatch && length >= head * (1 - MAX_PADDING);
    }

    /**
     * Whether {@link #run} pads every sequence of a batch to the batch's longest (a rectangular tensor, as ONNX Runtime
     * takes), rather than packing the sequences' tokens side by side (llama.cpp). When true, packing counts a batch's
     * cells as its sequences times its longest sequence, and length-buckets: texts (sorted longest first) join a batch
     * only while they are at most {@link #MAX_PADDING} shorter than its first, so little is padding. The default is
     * false.
     *
     * @return whether batches are padded to their longest sequence
     */
    protected boolean padsToLongest() {
        return false;
    }

    /**
     * Scales a pooled vector to unit L2 norm in place ({@link UnitVectors#normalize}: the sum of squares in double, one
     * float factor), the one normalisation of every model embedder, after refusing non-finite components; an all-zero
     * vector stays zero.
     *
     * @param v the vector
     * @return {@code v}
     * @throws IllegalStateException when a component is NaN or infinite
     */
    protected static float[] normalize(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalStateException("the model gave a non-finite embedding component: " + x);
            }
        }
        return UnitVectors.normalize(v);
    }
}
