package dev.winnow.runtime.generate;

import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.NoAcceptableTokenException;
import dev.winnow.runtime.Sampler;
import dev.winnow.runtime.Vocabulary;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One text generation in sequence 0 of a {@link Context}: decodes the prompt, then samples and decodes token after
 * token, streaming text pieces that are always whole UTF-8 characters and never include (part of) a stop string.
 * Pull pieces with the iterator, a {@link #stream()}, or push them to a callback with {@link #run(Consumer)}.
 * Cancel it through its {@link Cancellation} token (passed to {@code start}, or {@link #cancellation()}), from any
 * thread: the token is attached to the context, so it stops even a long prompt decode, and the generation then
 * finishes with {@link FinishReason#CANCELLED}. Not thread-safe otherwise; close it (or exhaust it) to detach the
 * token from the context.
 *
 * <pre>{@code
 * try (Generation g = Generation.start(context, "Once upon a time", GenerationOptions.greedy(30))) {
 *   g.run(System.out::print);
 * }
 * }</pre>
 */
public final class Generation implements Iterator<String>, AutoCloseable {
    private final Context context;
    private final Vocabulary vocabulary;
    private final GenerationOptions options;
    private final int[] prompt;
    private final Sampler sampler;
    private final Batch batch;
    private final Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
    private final StopStringMatcher stops;
    private final List<Integer> tokens = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private final Cancellation cancellation;
    private boolean promptDone;
    private int position;
    private FinishReason finish;
    private String pending;
    private boolean closed;

    private Generation(Context context, int[] prompt, GenerationOptions options, Cancellation cancellation) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (prompt.length >= context.contextSize()) {
            throw new IllegalArgumentException(
                    "prompt of " + prompt.length + " tokens does not fit the context: n_ctx=" + context.contextSize());
        }
        this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
        this.context = context;
        this.vocabulary = context.model().vocabulary();
        this.options = options;
        this.prompt = prompt.clone();
        this.stops = new StopStringMatcher(options.stopStrings());
        this.sampler = new Sampler(context.model(), options.sampling());
        this.batch = Batch.allocate(context.batchSize(), 1);
        context.cancellation(cancellation);
    }

    /**
     * Starts a generation from a text prompt, tokenized with the model's special tokens (BOS).
     *
     * @param context the context; sequence 0 of its KV cache is cleared first
     * @param prompt the prompt text
     * @param options limits and sampling
     * @return the generation (nothing is decoded until the first piece is asked for)
     */
    public static Generation start(Context context, String prompt, GenerationOptions options) {
        return start(context, prompt, options, new Cancellation());
    }

    /**
     * Starts a generation from a text prompt that stops when {@code cancellation} is cancelled.
     *
     * @param context the context; sequence 0 of its KV cache is cleared first
     * @param prompt the prompt text
     * @param options limits and sampling
     * @param cancellation the token that stops it (attached to the context until the generation ends)
     * @return the generation
     */
    public static Generation start(
            Context context, String prompt, GenerationOptions options, Cancellation cancellation) {
        return start(context, context.model().vocabulary().tokenize(prompt, true, false), options, cancellation);
    }

    /**
     * Starts a generation from prompt tokens.
     *
     * @param context the context; sequence 0 of its KV cache is cleared first
     * @param promptTokens the prompt, at least one token, shorter than n_ctx
     * @param options limits and sampling
     * @return the generation
     */
    public static Generation start(Context context, int[] promptTokens, GenerationOptions options) {
        return start(context, promptTokens, options, new Cancellation());
    }

    /**
     * Starts a generation from prompt tokens that stops when {@code cancellation} is cancelled.
     *
     * @param context the context; sequence 0 of its KV cache is cleared first
     * @param promptTokens the prompt, at least one token, shorter than n_ctx
     * @param options limits and sampling
     * @param cancellation the token that stops it (attached to the context until the generation ends)
     * @return the generation
     */
    public static Generation start(
            Context context, int[] promptTokens, GenerationOptions options, Cancellation cancellation) {
        return new Generation(context, promptTokens, options, cancellation);
    }

    /**
     * Starts a generation from chat messages formatted by a chat template, ending with an assistant turn.
     *
     * @param context the context
     * @param template the chat format
     * @param messages the chat
     * @param options limits and sampling
     * @return the generation of the assistant's reply
     */
    public static Generation startChat(
            Context context, ChatTemplate template, List<ChatMessage> messages, GenerationOptions options) {
        String prompt = template.apply(messages, true);
        return start(context, context.model().vocabulary().tokenize(prompt, true, true), options);
    }

    /**
     * Runs a whole generation, passing each piece to a callback, and returns all the text.
     *
     * @param onPiece receives each text piece in order
     * @return the generated text (without the prompt)
     */
    public String run(Consumer<String> onPiece) {
        while (hasNext()) {
            onPiece.accept(next());
        }
        return text.toString();
    }

    /**
     * @return the remaining pieces as a sequential stream (closing the stream closes the generation)
     */
    public Stream<String> stream() {
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    /**
     * The token that stops this generation: {@code cancellation().cancel(reason)} from any thread stops it as soon as
     * possible (mid-decode included).
     *
     * @return the token given to {@code start}, or the generation's own
     */
    public Cancellation cancellation() {
        return cancellation;
    }

    @Override
    public boolean hasNext() {
        while (pending == null && finish == null) {
            step();
        }
        return pending != null;
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException("generation finished: " + finish);
        }
        String p = pending;
        pending = null;
        return p;
    }

    private void step() {
        try {
            if (cancellation.isCancelled()) {
                end(FinishReason.CANCELLED);
                return;
            }
            if (!promptDone) {
                context.kvCache().removeSequence(0);
                for (int off = 0; off < prompt.length; off += batch.capacity()) {
                    int n = Math.min(batch.capacity(), prompt.length - off);
                    batch.clear();
                    for (int i = 0; i < n; i++) {
                        batch.add(prompt[off + i], off + i, 0, off + i == prompt.length - 1);
                    }
                    context.decode(batch);
                }
                for (int t : prompt) {
                    sampler.accept(t);
                }
                position = prompt.length;
                promptDone = true;
            }
            if (tokens.size() >= options.maxTokens()) {
                end(FinishReason.MAX_TOKENS);
                return;
            }
            int token;
            try {
                token = sampler.sample(context, batch.size() - 1);
            } catch (NoAcceptableTokenException e) {
                end(FinishReason.NO_ACCEPTABLE_TOKEN);
                return;
            }
            if (options.stopAtEndOfGeneration() && vocabulary.isEndOfGeneration(token)) {
                end(FinishReason.END_OF_GENERATION);
                return;
            }
            tokens.add(token);
            String piece = stops.feed(utf8.feed(vocabulary.piece(token, false)));
            if (stops.matched() != null) {
                emit(piece);
                finish = FinishReason.STOP_STRING;
                release();
                return;
            }
            emit(piece);
            if (tokens.size() >= options.maxTokens()) {
                end(FinishReason.MAX_TOKENS);
                return;
            }
            if (position >= context.contextSize()) {
                end(FinishReason.CONTEXT_FULL);
                return;
            }
            batch.clear();
            batch.add(token, position++, 0, true);
            context.decode(batch);
        } catch (CancellationException e) {
            end(FinishReason.CANCELLED);
        }
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            pending = pending == null ? piece : pending + piece;
        }
    }

    private void end(FinishReason reason) {
        String rest = stops.matched() == null ? stops.feed(utf8.finish()) : "";
        if (stops.matched() == null) {
            rest += stops.finish();
        }
        emit(rest);
        finish = stops.matched() != null ? FinishReason.STOP_STRING : reason;
        release();
    }

    private void release() {
        if (!closed) {
            closed = true;
            context.cancellation(null);
            sampler.close();
            batch.close();
        }
    }

    /**
     * @return why it ended, or null while running
     */
    public FinishReason finishReason() {
        return finish;
    }

    /**
     * @return the generated tokens so far (without the prompt; without an end-of-generation token)
     */
    public int[] tokens() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * @return the text emitted so far
     */
    public String text() {
        return text.toString();
    }

    /** Stops and releases the generation's sampler and batch; idempotent. */
    @Override
    public void close() {
        if (finish == null) {
            finish = FinishReason.CANCELLED;
        }
        release();
    }
}
