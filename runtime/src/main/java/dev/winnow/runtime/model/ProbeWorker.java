package dev.winnow.runtime.model;

import dev.winnow.models.gguf.Pooling;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The worker JVM of {@link ProbeRunner}: loads model files through the real runtime and decodes a few tokens with
 * each, so that a native crash kills this process and not the caller. It reads one request per line on stdin,
 * {@code FILE<TAB>CONTEXT_SIZE<TAB>TOKENS}, and answers one line on stdout as soon as it is done:
 *
 * <ul>
 *   <li>{@code READY} once at start, after the native library is loaded;
 *   <li>{@code OK<TAB>FILE<TAB>finite} or {@code OK<TAB>FILE<TAB>non-finite} (whether every logit or embedding value
 *       read was finite);
 *   <li>{@code REFUSED<TAB>FILE<TAB>STEP<TAB>EXCEPTION: MESSAGE}, STEP being {@code load}, {@code context} or
 *       {@code decode}.
 * </ul>
 *
 * <p>CONTEXT_SIZE 0 means 256 for a decoder and the model's training context for an encoder. TOKENS 0 means: a
 * decoder gets the prompt "Once upon a time" and {@value #GREEDY} greedy tokens; an encoder 8 tokens. Otherwise that
 * many tokens (ids cycling over the vocabulary from 5, positions from 0) go in one batch (n_batch and n_ubatch are
 * made large enough to hold them). Encoders ({@code <arch>.attention.causal} false, or an encoder) run with mean-pooled
 * embeddings through {@link Context#encode}.
 */
public final class ProbeWorker {
    /** Greedy tokens a decoder generates after the prompt when TOKENS is 0. */
    public static final int GREEDY = 4;

    private ProbeWorker() {}

    /**
     * @param args ignored
     * @throws IOException if stdin cannot be read
     */
    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        Llama llama = Llama.load();
        out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            Path file = Path.of(f[0]);
            int ctx = f.length > 1 ? Integer.parseInt(f[1]) : 0;
            int tokens = f.length > 2 ? Integer.parseInt(f[2]) : 0;
            out.println(probe(llama, file, ctx, tokens));
        }
    }

    /**
     * Loads, creates a context and decodes, as described in the class comment.
     *
     * @param llama the runtime
     * @param file the model file
     * @param ctx context size (0: the default)
     * @param tokens tokens to decode (0: the default)
     * @return the answer line
     */
    static String probe(Llama llama, Path file, int ctx, int tokens) {
        String step = "load";
        try (Model m = llama.loadModel(file)) {
            step = "context";
            boolean encoder =
                    m.hasEncoder() || "false".equals(m.metadata().get(m.architecture() + ".attention.causal"));
            int n = tokens > 0 ? tokens : encoder ? 8 : 0;
            int batch = Math.max(512, n);
            ContextOptions o = ContextOptions.defaults()
                    .withThreads(Math.min(2, Runtime.getRuntime().availableProcessors()))
                    .withContextSize(ctx > 0 ? ctx : encoder ? 0 : 256)
                    .withBatchSize(batch);
            if (encoder) {
                o = o.withEmbeddings(true, Pooling.MEAN);
            }
            try (Context c = m.newContext(o);
                    Batch b = Batch.allocate(batch, 1)) {
                step = "decode";
                boolean finite = true;
                int vocab = m.vocabulary().size();
                if (n > 0) {
                    for (int i = 0; i < n; i++) {
                        b.add(vocab > 5 ? 5 + i % (vocab - 5) : i % Math.max(1, vocab), i, 0, i == n - 1);
                    }
                    if (encoder) {
                        c.encode(b);
                        for (float v : c.sequenceEmbeddingCopy(0, false)) {
                            finite &= Float.isFinite(v);
                        }
                    } else {
                        c.decode(b);
                        for (float v : c.logitsCopy(-1)) {
                            finite &= Float.isFinite(v);
                        }
                    }
                } else {
                    int[] prompt = m.vocabulary().tokenize("Once upon a time");
                    b.addSequence(prompt, 0, 0, true);
                    c.decode(b);
                    for (int i = 0; i < GREEDY; i++) {
                        for (float v : c.logitsCopy(-1)) {
                            finite &= Float.isFinite(v);
                        }
                        int next = c.argmax(-1);
                        b.clear();
                        b.add(next, prompt.length + i, 0, true);
                        c.decode(b);
                    }
                }
                return "OK\t" + file + "\t" + (finite ? "finite" : "non-finite");
            }
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage()).replace('\n', ' ').replace('\t', ' ');
            return "REFUSED\t" + file + "\t" + step + "\t" + e.getClass().getSimpleName() + ": " + msg;
        }
    }
}
