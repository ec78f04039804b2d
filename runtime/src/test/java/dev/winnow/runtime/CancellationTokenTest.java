package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The one cancellation token: its three sources (cancel, a linked thread's interrupt, a polled condition), its
 * messages, its actions, and a token attached to a real llama.cpp context stopping a decode in the middle of its graph.
 */
class CancellationTokenTest {

    @Test
    void cancelSetsTheReasonUntilReset() {
        Cancellation c = new Cancellation();
        assertFalse(c.isCancelled());
        assertNull(c.reason());
        c.throwIfCancelled();
        c.throwIfCancelled("not thrown");
        c.cancel("user pressed stop");
        assertTrue(c.isCancelled());
        assertEquals("user pressed stop", c.reason());
        assertEquals(
                "user pressed stop",
                assertThrows(CancellationException.class, c::throwIfCancelled).getMessage());
        assertEquals(
                "ranking stopped after 3 of 10: user pressed stop",
                assertThrows(CancellationException.class, () -> c.throwIfCancelled("ranking stopped after 3 of 10"))
                        .getMessage());
        c.reset();
        assertFalse(c.isCancelled());
        c.cancel();
        assertEquals("cancelled", c.reason());
    }

    @Test
    void aTokenLinkedToAThreadIsCancelledWhileItIsInterruptedAndLeavesTheStatusSet() {
        Cancellation c = Cancellation.onInterrupt(Thread.currentThread());
        assertFalse(c.isCancelled());
        Thread.currentThread().interrupt();
        try {
            assertTrue(c.isCancelled());
            assertEquals("interrupted", c.reason());
            assertTrue(Thread.currentThread().isInterrupted(), "polling does not clear the interrupt status");
        } finally {
            Thread.interrupted();
        }
        assertFalse(c.isCancelled());
    }

    @Test
    void aPollingTokenFollowsItsCondition() {
        AtomicBoolean flag = new AtomicBoolean();
        Cancellation c = Cancellation.polling(flag::get);
        assertFalse(c.isCancelled());
        flag.set(true);
        assertTrue(c.isCancelled());
        assertEquals("cancelled", c.reason());
        flag.set(false);
        assertFalse(c.isCancelled());
    }

    @Test
    void actionsRunOnEveryCancelUntilRemovedAndAtOnceWhenAlreadyCancelled() {
        Cancellation c = new Cancellation();
        AtomicInteger runs = new AtomicInteger();
        Cancellation.Registration r = c.onCancel(runs::incrementAndGet);
        c.cancel("one");
        assertEquals(1, runs.get());
        c.cancel("two");
        assertEquals(2, runs.get());
        r.close();
        c.cancel("three");
        assertEquals(2, runs.get());
        List<String> late = new ArrayList<>();
        c.onCancel(() -> late.add(c.reason())).close();
        assertEquals(List.of("three"), late);
    }

    @Test
    void noneIsNeverCancelledAndRefusesCancel() {
        Cancellation none = Cancellation.none();
        assertSame(none, Cancellation.none());
        assertFalse(none.isCancelled());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> none.cancel("x"));
        assertTrue(e.getMessage().contains("none()"), e.getMessage());
        assertFalse(none.isCancelled());
    }

    @Test
    void anAttachedTokenStopsADecodeInsideItsGraphAndTheContextDecodesAgainAfterReset() {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Context c = model.newContext(ContextOptions.defaults()
                        .withContextSize(256)
                        .withThreads(1)
                        .withTaps(true));
                Context plain = model.newContext(
                        ContextOptions.defaults().withContextSize(256).withThreads(1));
                Batch b = Batch.allocate(64, 1)) {
            int[] prompt = model.vocabulary().tokenize("Once upon a time", true, false);
            Cancellation token = new Cancellation();
            AtomicInteger layer3 = new AtomicInteger();
            // cancelled by a tap between layers 1 and 2: llama.cpp's abort callback then stops the graph
            c.taps().tap(TensorSelector.name("l_out-1"), v -> token.cancel("stopped at layer 1"));
            c.taps().tap(TensorSelector.name("l_out-3"), v -> layer3.incrementAndGet());
            c.cancellation(token);
            assertSame(token, c.cancellation());
            b.addSequence(prompt, 0, 0, true);
            CancellationException e = assertThrows(CancellationException.class, () -> c.decode(b));
            assertEquals("decode aborted by the abort check: stopped at layer 1", e.getMessage());
            assertEquals(0, layer3.get(), "the graph stopped before layer 3");

            // detached: the same decode completes and gives the logits of a context that never had a token
            c.cancellation(null);
            c.kvCache().clear(true);
            c.decode(b);
            assertEquals(1, layer3.get());
            plain.decode(b);
            assertArrayEquals(plain.logitsCopy(prompt.length - 1), c.logitsCopy(prompt.length - 1));
        }
    }
}
