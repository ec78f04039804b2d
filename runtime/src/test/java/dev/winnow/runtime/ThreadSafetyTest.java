package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The thread-safety contract of {@link Model} and {@link Context} (issue 16, item 6) with real threads on the real
 * stories260K: readers hammering a context's results (argmax, logits copies and views, embeddings, Sampler.sample,
 * KV positions) while another thread decodes either get a correct result or an {@link IllegalStateException} saying
 * the context is in use, never a crash or a wrong value; views die when another thread decodes or closes, and a
 * {@link TensorView} kept past its tap callback throws; {@link
 * Model#close()} while threads tokenize waits for the calls in flight and never frees under them.
 */
class ThreadSafetyTest {
    static final String PROMPT = "Once upon a time";

    static ContextOptions exact() {
        return ContextOptions.defaults()
                .withContextSize(256)
                .withThreads(1)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withFlashAttention(FlashAttention.DISABLED);
    }

    /**
     * Runs each reader in a loop on its own thread while the decoder loops on this thread (resting 1 ms between decodes
     * so that reads also find the context free), until every reader has succeeded 20 times and 50 decodes ran (at most
     * 60 s).
     */
    static Map<String, AtomicInteger> hammer(Context c, Runnable decodeOnce, Map<String, Runnable> readers)
            throws Exception {
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> unexpected = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(readers.size());
        List<Future<?>> running = new ArrayList<>();
        for (Map.Entry<String, Runnable> r : readers.entrySet()) {
            AtomicInteger ok = counts.computeIfAbsent(r.getKey() + " ok", k -> new AtomicInteger());
            AtomicInteger refused = counts.computeIfAbsent(r.getKey() + " refused", k -> new AtomicInteger());
            running.add(pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        r.getValue().run();
                        ok.incrementAndGet();
                    } catch (IllegalStateException e) {
                        String m = String.valueOf(e.getMessage());
                        if (m.contains("in use by thread")
                                || m.contains("Already closed")
                                || m.contains("nothing decoded")) {
                            refused.incrementAndGet();
                            Thread.yield();
                        } else {
                            synchronized (unexpected) {
                                unexpected.add(e);
                            }
                            return;
                        }
                    } catch (Throwable e) {
                        synchronized (unexpected) {
                            unexpected.add(e);
                        }
                        return;
                    }
                }
            }));
        }
        long end = System.nanoTime() + 60_000_000_000L;
        int decodes = 0;
        while (System.nanoTime() < end
                && (decodes < 50
                        || counts.entrySet().stream()
                                .anyMatch(e -> e.getKey().endsWith(" ok")
                                        && e.getValue().get() < 20))) {
            try {
                decodeOnce.run();
                decodes++;
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("in use by thread"), e.getMessage()); // a reader is inside a read
            }
            Thread.sleep(1);
        }
        stop.set(true);
        for (Future<?> f : running) {
            f.get(20, TimeUnit.SECONDS);
        }
        pool.shutdown();
        if (!unexpected.isEmpty()) {
            throw new AssertionError("unexpected failure in a reader", unexpected.get(0));
        }
        counts.put("decodes", new AtomicInteger(decodes));
        System.out.println("hammer: " + counts);
        assertTrue(decodes >= 50, "decoder starved: " + counts);
        return counts;
    }

    @Test
    void readsWhileAnotherThreadDecodesAreCorrectOrRefused() throws Exception {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1);
                Sampler sampler = new Sampler(model, SamplerOptions.greedy())) {
            int[] prompt = model.vocabulary().tokenize(PROMPT);
            b.addSequence(prompt, 0, 0, true);
            c.decode(b);
            float[] want = c.logitsCopy(-1);
            int wantArgmax = c.argmax(-1);
            Runnable decodeOnce = () -> {
                c.kvCache().clear(true);
                c.decode(b); // the same prompt every time: every successful read must see exactly these logits
            };
            Map<String, Runnable> readers = new java.util.LinkedHashMap<>();
            readers.put("argmax", () -> assertEquals(wantArgmax, c.argmax(-1)));
            readers.put("logitsCopy", () -> assertArrayEquals(want, c.logitsCopy(-1)));
            readers.put("logits view", () -> {
                MemorySegment v = c.logits(-1);
                float first = v.getAtIndex(ValueLayout.JAVA_FLOAT, 0); // may throw "Already closed" if a decode began
                assertEquals(want[0], first);
            });
            readers.put("sample", () -> assertEquals(wantArgmax, sampler.sample(c, -1)));
            readers.put("maxPosition", () -> {
                int p = c.kvCache().maxPosition(0);
                assertTrue(p == -1 || p == prompt.length - 1, "position " + p);
            });
            Map<String, AtomicInteger> counts = hammer(c, decodeOnce, readers);
            for (String r : readers.keySet()) {
                assertTrue(counts.get(r + " ok").get() >= 20, r + " succeeded less than 20 times: " + counts);
            }
            int refused = counts.entrySet().stream()
                    .filter(e -> e.getKey().endsWith("refused"))
                    .mapToInt(e -> e.getValue().get())
                    .sum();
            assertTrue(refused > 0, "no read ever met a decode in progress: " + counts);
        }
    }

    @Test
    void embeddingReadsWhileAnotherThreadDecodesAreCorrectOrRefused() throws Exception {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Context c = model.newContext(exact().withEmbeddings(true, Pooling.MEAN));
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(model.vocabulary().tokenize(PROMPT), 0, 0, true);
            c.decode(b);
            float[] want = c.sequenceEmbeddingCopy(0, false);
            Runnable decodeOnce = () -> {
                c.kvCache().clear(true);
                c.decode(b);
            };
            Map<String, Runnable> readers = new java.util.LinkedHashMap<>();
            readers.put("sequenceEmbeddingCopy", () -> assertArrayEquals(want, c.sequenceEmbeddingCopy(0, false)));
            readers.put("sequenceEmbeddings view", () -> {
                MemorySegment v = c.sequenceEmbeddings(0);
                assertEquals(want[want.length - 1], v.getAtIndex(ValueLayout.JAVA_FLOAT, want.length - 1));
            });
            Map<String, AtomicInteger> counts = hammer(c, decodeOnce, readers);
            assertTrue(counts.get("sequenceEmbeddingCopy ok").get() >= 20, counts.toString());
            assertTrue(counts.get("sequenceEmbeddings view ok").get() >= 20, counts.toString());
        }
    }

    @Test
    void viewsDieWhenAnotherThreadDecodesOrCloses() throws Exception {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Batch b = Batch.allocate(64, 1);
                ExecutorService other = Executors.newSingleThreadExecutor()) {
            int[] prompt = model.vocabulary().tokenize(PROMPT);
            Context c = model.newContext(exact());
            b.addSequence(prompt, 0, 0, true);
            c.decode(b);
            MemorySegment view = c.logits(-1);
            float first = view.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
            // read on another thread: allowed while the results last
            assertEquals(
                    first,
                    other.submit(() -> view.getAtIndex(ValueLayout.JAVA_FLOAT, 0))
                            .get());
            MemorySegment onOther = other.submit(() -> c.logits(-1)).get();
            assertEquals(first, onOther.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            // a decode on another thread ends both views (one made here, one made there)
            other.submit(() -> {
                        c.kvCache().clear(true);
                        c.decode(b);
                    })
                    .get();
            assertThrows(IllegalStateException.class, () -> view.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertThrows(IllegalStateException.class, () -> onOther.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            // close on another thread: a view made here no longer reads the freed buffer
            MemorySegment last = c.logits(-1);
            assertEquals(first, last.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            other.submit(c::close).get();
            assertThrows(IllegalStateException.class, () -> last.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertThrows(IllegalStateException.class, () -> c.argmax(-1));
        }
    }

    @Test
    void aTensorViewKeptPastItsCallbackThrows() {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Context c = model.newContext(exact().withTaps(true));
                Batch b = Batch.allocate(64, 1)) {
            java.util.concurrent.atomic.AtomicReference<TensorView> kept =
                    new java.util.concurrent.atomic.AtomicReference<>();
            float[] during = new float[1];
            try (var tap = c.taps().tap(TensorSelector.name("l_out-0"), v -> {
                kept.set(v);
                during[0] = v.get(0, 0, 0, 0);
            })) {
                b.addSequence(model.vocabulary().tokenize(PROMPT), 0, 0, true);
                c.decode(b);
            }
            assertTrue(Float.isFinite(during[0]));
            TensorView v = kept.get();
            assertEquals("l_out-0", v.name());
            assertThrows(IllegalStateException.class, () -> v.get(0, 0, 0, 0));
            assertThrows(IllegalStateException.class, v::toFloatArray);
        }
    }

    @Test
    void closingTheModelWhileThreadsTokenizeNeverFreesUnderThem() throws Exception {
        String text = "Once upon a time, there was a little girl named Lily. She loved to play outside. ".repeat(40);
        for (int round = 0; round < 5; round++) {
            Model model = Llama.load().loadModel(TestModels.stories260K());
            int[] want = model.vocabulary().tokenize(text);
            int threads = 3;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch started = new CountDownLatch(threads);
            AtomicInteger ok = new AtomicInteger();
            List<Future<String>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    started.countDown();
                    while (true) {
                        try {
                            assertArrayEquals(want, model.vocabulary().tokenize(text));
                            assertEquals(
                                    "Once",
                                    model.vocabulary()
                                            .detokenize(new int[] {want[1]}, false, false)
                                            .strip());
                            ok.incrementAndGet();
                        } catch (IllegalStateException e) {
                            return e.getMessage();
                        }
                    }
                }));
            }
            assertTrue(started.await(10, TimeUnit.SECONDS));
            Thread.sleep(20);
            model.close(); // waits for the tokenize calls in flight, then frees
            for (Future<String> f : done) {
                assertEquals("model stories260K.gguf is closed", f.get(20, TimeUnit.SECONDS));
            }
            pool.shutdown();
            assertTrue(ok.get() > 0, "no tokenize ran before the close");
            assertThrows(IllegalStateException.class, model::layerCount);
        }
    }

    @Test
    void closingTheModelWhileAnotherThreadDecodesIsRefused() throws Exception {
        Model model = Llama.load().loadModel(TestModels.stories260K());
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<Integer> decoding = pool.submit(() -> {
                try (Context c = model.newContext(exact().withTaps(true));
                        Batch b = Batch.allocate(64, 1)) {
                    c.taps().tap(TensorSelector.name("l_out-0"), v -> {
                        inside.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    b.addSequence(model.vocabulary().tokenize(PROMPT), 0, 0, true);
                    c.decode(b);
                    return c.argmax(-1);
                }
            });
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, model::close);
            assertTrue(e.getMessage().contains("still has 1 open context(s)"), e.getMessage());
            release.countDown();
            assertTrue(decoding.get(20, TimeUnit.SECONDS) >= 0);
        }
        model.close(); // the context is closed now
        assertThrows(IllegalStateException.class, () -> model.vocabulary().tokenize(PROMPT));
    }

    @Test
    void newContextRacingCloseEitherWinsCleanly() throws Exception {
        for (int round = 0; round < 20; round++) {
            Model model = Llama.load().loadModel(TestModels.stories260K());
            try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
                Future<Context> made = pool.submit(() -> {
                    try {
                        return model.newContext(exact());
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
                        return null;
                    }
                });
                boolean closed;
                try {
                    model.close();
                    closed = true;
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("open context"), e.getMessage());
                    closed = false;
                }
                Context c = made.get(20, TimeUnit.SECONDS);
                assertEquals(closed, c == null, "close " + closed + " but the context " + c);
                if (c != null) {
                    c.close();
                    model.close();
                }
            }
        }
    }
}
