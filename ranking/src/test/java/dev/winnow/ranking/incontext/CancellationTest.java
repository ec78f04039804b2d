package dev.winnow.ranking.incontext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.ranking.incontext.encoder.EncoderInContextRanker;
import dev.winnow.ranking.incontext.encoder.EncoderRankerOptions;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every in-context ranker stops mid-call when its abort check turns true on another thread, throws
 * {@link CancellationException}, and ranks the next call exactly as a fresh ranker does. The decoder rankers run on a
 * synthetic tiny-4l model (4 layers, 256 wide) over 40 candidates, so a call spans many decodes.
 */
class CancellationTest {

    @TempDir
    static Path dir;

    private static Model tiny;

    private static final String QUERY = "Where did the bear look for honey?";

    private static final List<Candidate> DOCS = Fixtures.stories(40);

    @BeforeAll
    static void load() throws Exception {
        Path file = dir.resolve("tiny-4l.gguf");
        SyntheticModel.write(SynthSpec.preset("tiny-4l", GgmlType.F32, 3), Fixtures.stories260K(), file);
        tiny = Llama.load().loadModel(file);
    }

    @AfterAll
    static void unload() {
        if (tiny != null) {
            tiny.close();
        }
    }

    private static InContextOptions options() {
        return InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withBatchTokens(256);
    }

    private static Map<String, Double> scores(Ranking r) {
        Map<String, Double> m = new HashMap<>();
        r.documents().forEach(d -> m.put(d.docId(), d.score()));
        return m;
    }

    /**
     * Ranks with a fresh ranker (timed); then, with another fresh ranker, cancels a call from another thread while
     * llama.cpp is inside a decode: the check blocks at its third poll (past the ranker's own checks before the first
     * decode, so inside llama.cpp's graph) until the other thread has set the flag. Asserts the exception, that the
     * cancelled call took less than {@code maxShare} of the uncancelled one (when positive), and that the same ranker
     * then gives exactly the fresh ranker's scores.
     */
    private static void assertCancelsAndRecovers(
            Supplier<InContextRanker> factory, List<Candidate> docs, double maxShare) throws Exception {
        Map<String, Double> fresh;
        long full;
        try (InContextRanker r = factory.get()) {
            long t0 = System.nanoTime();
            fresh = scores(r.rank(QUERY, docs));
            full = System.nanoTime() - t0;
        }
        try (InContextRanker r = factory.get()) {
            AtomicBoolean cancelled = new AtomicBoolean();
            AtomicInteger polls = new AtomicInteger();
            CountDownLatch inDecode = new CountDownLatch(1);
            CountDownLatch flagSet = new CountDownLatch(1);
            BooleanSupplier abort = () -> {
                if (polls.incrementAndGet() == 3) {
                    inDecode.countDown();
                    try {
                        flagSet.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return cancelled.get();
            };
            Thread canceller = Thread.ofPlatform().start(() -> {
                try {
                    inDecode.await();
                } catch (InterruptedException e) {
                    return;
                }
                cancelled.set(true);
                flagSet.countDown();
            });
            long t0 = System.nanoTime();
            CancellationException e =
                    assertThrows(CancellationException.class, () -> r.rank(QUERY, docs, Cancellation.polling(abort)));
            long took = System.nanoTime() - t0;
            canceller.join();
            assertTrue(
                    e.getMessage().contains("aborted by the abort check"),
                    r.name() + ": stopped inside a decode: " + e.getMessage());
            if (maxShare > 0) {
                assertTrue(
                        took < maxShare * full,
                        r.name() + ": cancelled call took " + took / 1e6 + " ms, the uncancelled one " + full / 1e6
                                + " ms");
            }
            assertEquals(fresh, scores(r.rank(QUERY, docs)), r.name() + ": after a cancelled call");
            // the same again with the token already cancelled: stopped before any decode, by the ranker itself
            Cancellation upFront = new Cancellation();
            upFront.cancel("stop before starting");
            CancellationException before =
                    assertThrows(CancellationException.class, () -> r.rank(QUERY, docs, upFront));
            assertTrue(before.getMessage().startsWith("ranking cancelled by its abort check"), before.getMessage());
            assertTrue(before.getMessage().endsWith(": stop before starting"), before.getMessage());
            assertEquals(fresh, scores(r.rank(QUERY, docs)), r.name() + ": after a call cancelled up front");
        }
    }

    @Test
    void blockRankStopsInsideADecodeAndTheNextCallEqualsAFreshRanker() throws Exception {
        assertCancelsAndRecovers(() -> InContextRanker.blockRank(tiny, options()), DOCS, 0.5);
        // windows: the check also stops between windows
        assertCancelsAndRecovers(() -> InContextRanker.blockRank(tiny, options().withMaxPromptCells(512)), DOCS, 0.5);
    }

    @Test
    void listwiseIcrAndPointwiseStopInsideADecode() throws Exception {
        assertCancelsAndRecovers(() -> InContextRanker.listwise(tiny, options()), DOCS.subList(0, 24), 0.5);
        assertCancelsAndRecovers(() -> InContextRanker.icr(tiny, options()), DOCS.subList(0, 20), 0.5);
        assertCancelsAndRecovers(() -> InContextRanker.pointwise(tiny, options().withParallelSequences(4)), DOCS, 0.5);
    }

    @Test
    void embeddingAndEncoderRankersStopInsideAPass() throws Exception {
        assertCancelsAndRecovers(() -> InContextRanker.embedding(tiny, options().withParallelSequences(4)), DOCS, 0.5);
        try (Model minilm =
                Llama.load().loadModel(EmbeddingModels.fromEnvironment().ensure("minilm"))) {
            // one window per call: the first pass is most of the call, so no time share is asserted
            assertCancelsAndRecovers(
                    () -> new EncoderInContextRanker(
                            minilm, EncoderRankerOptions.defaults().withLayer(1).withThreads(1)),
                    DOCS.subList(0, 6),
                    0);
        }
    }

    @Test
    void theTwoArgumentFormIsCancelledByInterruptingTheCallingThread() {
        try (InContextRanker r = InContextRanker.blockRank(tiny, options())) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(CancellationException.class, () -> r.rank(QUERY, DOCS));
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is left set");
            } finally {
                Thread.interrupted();
            }
            assertEquals(40, r.rank(QUERY, DOCS).documents().size());
        }
    }
}
