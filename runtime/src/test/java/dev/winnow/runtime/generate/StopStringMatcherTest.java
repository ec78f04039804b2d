package dev.winnow.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {

    @Test
    void holdsBackAPossibleStartAndCutsAtTheStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("\n\n", "The End"));
        assertEquals("Once upon a ", m.feed("Once upon a "));
        assertEquals("time.", m.feed("time.\n"));
        assertEquals("\nShe ", m.feed("She "));
        assertNull(m.matched());
        assertEquals("smiled. ", m.feed("smiled. The"));
        assertEquals("", m.feed(" E"));
        assertEquals("", m.feed("nd and more"));
        assertEquals("The End", m.matched());
    }

    @Test
    void stopSplitAcrossManyPiecesIsFoundAndEarliestStopWins() {
        StopStringMatcher m = new StopStringMatcher(List.of("cde", "bc"));
        StringBuilder out = new StringBuilder();
        for (char c : "xyzabcdef".toCharArray()) {
            if (m.matched() == null) {
                out.append(m.feed(String.valueOf(c)));
            }
        }
        assertEquals("xyza", out.toString());
        assertEquals("bc", m.matched());
    }

    @Test
    void falseStartIsReleasedAndFinishFlushes() {
        StopStringMatcher m = new StopStringMatcher(List.of("END"));
        assertEquals("a", m.feed("aEN"));
        assertEquals("ENx", m.feed("x"));
        assertEquals("E", m.feed("E") + m.finish());
        assertNull(m.matched());
    }

    @Test
    void noStopsPassEverything() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertEquals("abc", m.feed("abc"));
    }

    @Test
    void emptyStopIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StopStringMatcher(List.of("a", "")));
    }
}
