package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Context, Batch, KV cache and state against the real llama.cpp with stories260K. */
class ContextTest {
    static Model model;
    static int[] once;
    static int[] other;

    /**
     * F32 KV cache and flash attention off, so numerical comparisons are not blurred by f16 rounding; one thread, since
     * llama.cpp's spinning worker threads crawl on an oversubscribed CI machine.
     */
    static ContextOptions exact() {
        return ContextOptions.defaults()
                .withContextSize(256)
                .withMaxSequences(4)
                .withFlashAttention(FlashAttention.DISABLED)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withThreads(1);
    }

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        once = model.vocabulary().tokenize("Once upon a time there was a dog");
        other = model.vocabulary().tokenize("The little cat sat");
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @Test
    void modelMetadataMatchesTheFile() {
        assertEquals("llama", model.architecture());
        assertEquals(5, model.layerCount());
        assertEquals(8, model.headCount());
        assertEquals(4, model.headCountKv());
        assertEquals(64, model.embeddingSize());
        assertEquals(512, model.vocabulary().size());
        assertEquals("5", model.metadata().get("llama.block_count"));
        assertEquals(1, model.vocabulary().bos());
        assertEquals(2, model.vocabulary().eos());
        assertTrue(model.vocabulary().isEndOfGeneration(2));
        assertTrue(model.chatTemplate().isEmpty());
    }

    @Test
    void pooledEmbeddingsNeedUbatchAMultipleOfTheSequenceCount() {
        ContextOptions threeSeqs = ContextOptions.defaults()
                .withContextSize(256)
                .withMaxSequences(3)
                .withThreads(1)
                .withEmbeddings(true, Pooling.MEAN);
        // n_ctx 256 caps the reservation at 256 tokens, not a multiple of 3, whatever the ubatch: llama.cpp would abort
        for (int ubatch : new int[] {512, 510}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> model.newContext(threeSeqs.withUbatchSize(ubatch)));
            assertTrue(e.getMessage().contains("multiple of maxSequences"), e.getMessage());
            assertTrue(e.getMessage().contains("choose ubatchSize 255"), e.getMessage());
        }
        // the suggested size works: three sequences pooled in one batch, each finite, equal texts equal
        try (Context c = model.newContext(threeSeqs.withUbatchSize(255));
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 0, true);
            b.addSequence(other, 0, 1, true);
            b.addSequence(once, 0, 2, true);
            c.decode(b);
            float[] e0 = c.sequenceEmbeddingCopy(0, false);
            float[] e1 = c.sequenceEmbeddingCopy(1, false);
            float[] e2 = c.sequenceEmbeddingCopy(2, false);
            for (float v : e0) {
                assertTrue(Float.isFinite(v));
            }
            assertArrayEquals(e0, e2, 1e-5f);
            assertFalse(java.util.Arrays.equals(e0, e1));
        }
    }

    static float[] decodeAlone(int[] tokens) {
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(tokens, 0, 0, true);
            c.decode(b);
            return c.logitsCopy(-1);
        }
    }

    @Test
    void twoSequencesInOneBatchGiveTheSameLogitsAsEachAlone() {
        float[] aAlone = decodeAlone(once);
        float[] bAlone = decodeAlone(other);
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 0, true);
            b.addSequence(other, 0, 1, true);
            c.decode(b);
            float[] a = c.logitsCopy(once.length - 1);
            float[] bb = c.logitsCopy(-1);
            assertClose(aAlone, a, 1e-5f);
            assertClose(bAlone, bb, 1e-5f);
            assertNotEquals(a[5], bb[5]);
        }
    }

    static void assertClose(float[] want, float[] got, float tol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, "index " + i);
        }
    }

    @Test
    void logitsViewEqualsCopyAndDiesAtTheNextDecode() {
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 0, true);
            c.decode(b);
            MemorySegment view = c.logits(-1);
            assertTrue(view.isReadOnly());
            assertArrayEquals(c.logitsCopy(-1), view.toArray(ValueLayout.JAVA_FLOAT));
            int argmax = c.argmax(-1);
            float[] l = c.logitsCopy(-1);
            for (float v : l) {
                assertTrue(v <= l[argmax]);
            }
            b.clear();
            b.add(argmax, once.length, 0, true);
            c.decode(b);
            assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_FLOAT, 0));
            // entry 0 of the last batch is an output; an earlier index is outside the batch
            assertThrows(IndexOutOfBoundsException.class, () -> c.logitsCopy(3));
        }
    }

    @Test
    void badBatchesAreRefusedInJavaNamingTheLimit() {
        try (Context c = model.newContext(exact().withBatchSize(16));
                Batch b = Batch.allocate(64, 2)) {
            for (int i = 0; i < 17; i++) {
                b.add(5, i, 0, false);
            }
            assertMessage(() -> c.decode(b), "exceeds n_batch=16");
            b.clear();
            b.add(512, 0, 0, true);
            assertMessage(() -> c.decode(b), "token id 512 is outside the vocabulary [0, 512)");
            b.clear();
            b.add(5, 0, 4, true);
            assertMessage(() -> c.decode(b), "sequence id 4 is outside [0, n_seq_max=4)");
            b.clear();
            b.add(5, 0, 0, false);
            b.add(6, 2, 0, true);
            assertMessage(() -> c.decode(b), "sequence 0 has a gap in its positions");
            b.clear();
            b.add(5, 300, 0, true);
            assertMessage(() -> c.decode(b), "position 300 is beyond the context: n_ctx=256");
            b.clear();
            b.addSequence(new int[] {1, 5, 6}, 0, 0, true);
            c.decode(b);
            b.clear();
            b.add(7, 5, 0, true);
            assertMessage(
                    () -> c.decode(b),
                    "sequence 0 ends at position 2 in the KV cache, so its new tokens must start at 3");
            b.clear();
            b.add(7, 3, 0, false);
            c.decode(b);
            assertMessage(() -> c.logitsCopy(0), "was not marked as an output");
            assertMessage(() -> c.embeddings(0), "computes no embeddings");
            b.clear();
            assertMessage(() -> c.decode(b), "batch is empty");
        }
        assertMessage(() -> Batch.allocate(0, 1), "capacity must be >= 1");
        assertMessage(() -> ContextOptions.defaults().withMaxSequences(300), "maxSequences must be in [1, 256]");
    }

    @Test
    void duplicateOrOutOfOrderPositionsInASequenceAreRefused() {
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 2)) {
            b.add(5, 0, 0, false);
            b.add(6, 1, 0, false);
            b.add(7, 1, 0, true);
            assertMessage(
                    () -> c.decode(b),
                    "batch entry 2: sequence 0 repeats position 1 of batch entry 1 (a duplicate position)");
            b.clear();
            b.add(5, 0, 1, false);
            b.add(6, 0, 1, true);
            assertMessage(() -> c.decode(b), "sequence 1 repeats position 0");
            b.clear();
            b.add(5, 0, 0, false);
            b.add(6, 2, 0, false);
            b.add(7, 1, 0, true);
            assertMessage(
                    () -> c.decode(b),
                    "batch entry 1: sequence 0 has a gap in its positions: 0 (batch entry 0) then 2");
            b.clear();
            b.add(5, 1, 0, false);
            b.add(6, 0, 0, true);
            assertMessage(
                    () -> c.decode(b), "batch entry 1: sequence 0 goes back from position 1 (batch entry 0) to 0");
            // an entry in two sequences counts in both: sequence 1 repeats position 0
            b.clear();
            b.add(5, 0, false, 0, 1);
            b.add(6, 0, 1, true);
            assertMessage(() -> c.decode(b), "batch entry 1: sequence 1 repeats position 0");
            // a refused batch names the model it was meant for
            assertMessage(() -> c.decode(b), "(model " + model.path() + ")");
            // nothing was decoded by the refused batches; interleaved sequences that each go up by one are fine
            assertEquals(-1, c.kvCache().maxPosition(0));
            b.clear();
            b.add(5, 0, 0, false);
            b.add(5, 0, 1, false);
            b.add(6, 1, 0, true);
            b.add(6, 1, 1, true);
            c.decode(b);
            assertArrayEquals(c.logitsCopy(2), c.logitsCopy(3), 1e-5f);
            assertEquals(1, c.kvCache().maxPosition(1));
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String phrase) {
        Throwable e = assertThrows(RuntimeException.class, call);
        assertTrue(e.getMessage().contains(phrase), "expected '" + phrase + "' in: " + e.getMessage());
    }

    @Test
    void contextTooLargeForMemoryIsRefusedWithTheFigure() {
        // 5 layers x 2^30 cells x 32 K/V width x 8 bytes = 1.25 TiB of F32 KV cache
        assertMessage(
                () -> model.newContext(exact().withContextSize(1 << 30)), "needs a KV cache of about 1310720.0 MiB");
    }

    @Test
    void kvCacheSequenceOperations() {
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            KvCache kv = c.kvCache();
            b.addSequence(once, 0, 0, true);
            c.decode(b);
            assertEquals(once.length - 1, kv.maxPosition(0));
            assertEquals(0, kv.minPosition(0));
            assertEquals(-1, kv.maxPosition(1));
            kv.copySequence(0, 1, 0, 4);
            assertEquals(3, kv.maxPosition(1));
            kv.copySequence(0, 2, -1, -1);
            assertTrue(kv.removeSequence(2, 5, -1));
            assertEquals(4, kv.maxPosition(2));
            kv.addPosition(2, -1, -1, 10);
            assertEquals(10, kv.minPosition(2));
            assertEquals(14, kv.maxPosition(2));
            // a copied cell is one cell with several sequence ids and one position: shifting seq 2 moved seq 0 and 1
            // too
            assertEquals(10, kv.minPosition(1));
            assertEquals(13, kv.maxPosition(1));
            assertEquals(14, kv.maxPosition(0));
            kv.dividePosition(2, -1, -1, 2);
            assertEquals(7, kv.maxPosition(2));
            kv.keepSequence(1);
            assertEquals(-1, kv.maxPosition(0));
            assertEquals(-1, kv.maxPosition(2));
            assertEquals(13 / 2, kv.maxPosition(1));
            kv.clear(true);
            assertEquals(-1, kv.maxPosition(1));
            assertMessage(() -> kv.copySequence(0, 9, -1, -1), "sequence id 9 is outside [0, n_seq_max=4)");
        }
    }

    @Test
    void copiedPrefixContinuesLikeTheOriginal() {
        // seq 1 shares seq 0's prompt cells; decoding the same next token in both gives the same logits
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 0, false);
            c.decode(b);
            c.kvCache().copySequence(0, 1, -1, -1);
            b.clear();
            b.add(42, once.length, 0, true);
            b.add(42, once.length, 1, true);
            c.decode(b);
            assertClose(c.logitsCopy(0), c.logitsCopy(1), 1e-5f);
        }
    }

    @Test
    void sequenceStateRoundTripGivesIdenticalLogits(@TempDir Path dir) throws Exception {
        byte[] state;
        float[] want;
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 2, false);
            c.decode(b);
            state = c.saveSequence(2);
            assertEquals(c.sequenceStateSize(2), state.length);
            c.saveSequence(2, dir.resolve("seq2.state"));
            b.clear();
            b.add(42, once.length, 2, true);
            c.decode(b);
            want = c.logitsCopy(0);
        }
        try (Context fresh = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            fresh.restoreSequence(state, 0);
            assertEquals(once.length - 1, fresh.kvCache().maxPosition(0));
            b.add(42, once.length, 0, true);
            fresh.decode(b);
            assertArrayEquals(want, fresh.logitsCopy(0));
        }
        try (Context fresh = model.newContext(exact());
                Batch b = Batch.allocate(64, 1);
                Arena arena = Arena.ofConfined()) {
            fresh.restoreSequence(dir.resolve("seq2.state"), 1);
            MemorySegment seg = arena.allocate(fresh.sequenceStateSize(1));
            assertEquals(seg.byteSize(), fresh.saveSequence(1, seg));
            fresh.kvCache().removeSequence(1);
            fresh.restoreSequence(seg, 3);
            b.add(42, once.length, 3, true);
            fresh.decode(b);
            assertArrayEquals(want, fresh.logitsCopy(0));
        }
        try (Context fresh = model.newContext(exact())) {
            assertMessage(() -> fresh.restoreSequence(new byte[] {1, 2, 3}, 0), "llama_state_seq_set_data refused");
            assertMessage(() -> fresh.restoreSequence(new byte[] {1, 2, 3}, 0), "llama.cpp: ");
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        Context c = model.newContext(exact());
        Batch b = Batch.allocate(8, 1);
        b.add(1, 0, 0, true);
        assertMessage(() -> model.close(), "still has 1 open context(s)");
        c.close();
        c.close();
        assertMessage(() -> c.decode(b), "context is closed");
        assertMessage(() -> c.logitsCopy(0), "is closed");
        b.close();
        b.close();
        assertMessage(() -> b.add(1, 0, 0, true), "batch is closed");
    }

    @Test
    void aLeakedContextIsFreedByTheCleaner() throws Exception {
        try (Model own = Llama.load().loadModel(TestModels.stories260K())) {
            leak(own);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (true) {
                System.gc();
                try {
                    own.close(); // throws while the leaked context is open
                    break;
                } catch (IllegalStateException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    private static void leak(Model m) {
        Context c = m.newContext(exact());
        try (Batch b = Batch.allocate(8, 1)) {
            b.add(1, 0, 0, true);
            c.decode(b);
        }
    }

    @Test
    void concurrentUseFromAnotherThreadThrows() throws Exception {
        try (Context c = model.newContext(exact().withTaps(true));
                Batch b = Batch.allocate(64, 1);
                ExecutorService pool = Executors.newSingleThreadExecutor()) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            c.taps().tap(TensorSelector.name("l_out-0"), v -> {
                inside.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            b.addSequence(once, 0, 0, true);
            Future<?> running = pool.submit(() -> c.decode(b));
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            try (Batch b2 = Batch.allocate(8, 1)) {
                b2.add(1, 0, 1, true);
                assertMessage(() -> c.decode(b2), "confined to one thread at a time");
            }
            release.countDown();
            running.get(10, TimeUnit.SECONDS);
            assertEquals(once.length - 1, c.kvCache().maxPosition(0));
        }
    }

    @Test
    void evaluatedTokensCountsDecodedEntries() {
        try (Context c = model.newContext(exact());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(once, 0, 0, true);
            c.decode(b);
            b.clear();
            b.add(3, once.length, 0, true);
            c.decode(b);
            assertEquals(once.length + 1, c.evaluatedTokens());
            assertFalse(c.threads() < 1);
        }
    }
}
