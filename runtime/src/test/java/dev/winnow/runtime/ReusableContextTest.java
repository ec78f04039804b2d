package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Context+Batch holder the rankers share: kept while it fits, replaced (the old pair freed) when it does not. */
class ReusableContextTest {

    @Test
    void keepsAFittingContextAndReplacesOneThatDoesNotFit() {
        Model model = Llama.load().loadModel(TestModels.stories260K());
        AtomicInteger created = new AtomicInteger();
        try (ReusableContext slot = new ReusableContext()) {
            assertNull(slot.context());
            assertNull(slot.batch());
            slot.cancellation(new Cancellation()); // nothing held: nothing to attach to

            assertTrue(slot.ensure(c -> true, () -> newContext(model, 256, created), 64));
            Context first = slot.context();
            assertEquals(64, slot.batch().capacity());
            assertEquals(1, created.get());

            assertFalse(slot.ensure(c -> c.contextSize() >= 256, () -> newContext(model, 512, created), 128));
            assertSame(first, slot.context());
            assertEquals(64, slot.batch().capacity(), "the batch is kept with its context");
            assertEquals(1, created.get());

            assertTrue(slot.ensure(c -> c.contextSize() >= 512, () -> newContext(model, 512, created), 128));
            assertNotSame(first, slot.context());
            assertEquals(512, slot.context().contextSize());
            assertEquals(128, slot.batch().capacity());
            assertEquals(2, created.get());
            // the replaced context was freed: using it is refused
            assertThrows(IllegalStateException.class, () -> first.kvCache().clear(true));

            Cancellation token = new Cancellation();
            slot.cancellation(token);
            assertSame(token, slot.context().cancellation());
            slot.cancellation(null);
            assertNull(slot.context().cancellation());

            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> slot.ensure(c -> false, () -> null, 0));
            assertEquals("batchTokens must be >= 1, got 0", e.getMessage());
        }
        // every context the holder created is closed: the model closes (it refuses while a context is open)
        model.close();
    }

    private static Context newContext(Model model, int cells, AtomicInteger created) {
        created.incrementAndGet();
        return model.newContext(ContextOptions.defaults().withContextSize(cells).withThreads(1));
    }
}
