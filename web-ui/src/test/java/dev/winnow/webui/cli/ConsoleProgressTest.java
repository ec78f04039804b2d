package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The CLI's renderer of progress: the exact text it draws, in place and as lines, and its rate limit. */
class ConsoleProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void barsShowCountsPercentAndMiB() {
        assertEquals(
                "indexing [--------------------]   0% 0/8 documents",
                ConsoleProgress.line("indexing", 0, 8, "documents"));
        assertEquals(
                "indexing [##########----------]  50% 4/8 documents",
                ConsoleProgress.line("indexing", 4, 8, "documents"));
        assertEquals(
                "indexing [####################] 100% 8/8 documents",
                ConsoleProgress.line("indexing", 8, 8, "documents"));
        assertEquals(
                "pull [#####---------------]  25% 1.0/4.0 MiB",
                ConsoleProgress.line("pull", 1 << 20, 4 << 20, "bytes"));
        assertEquals("embedding 17 texts", ConsoleProgress.line("embedding", 17, -1, "texts"));
    }

    @Test
    void inPlaceRedrawsOneLineAndEndsItAtTheLastCall() {
        ConsoleProgress p = new ConsoleProgress(out, "q", true, Duration.ZERO);
        p.onProgress(1, 2, "queries");
        p.onProgress(2, 2, "queries");
        String nl = System.lineSeparator();
        assertEquals(
                "\rq [##########----------]  50% 1/2 queries\rq [####################] 100% 2/2 queries" + nl, text());
    }

    @Test
    void linesAreRateLimitedButTheLastIsAlwaysPrinted() {
        ConsoleProgress p = new ConsoleProgress(out, "q", false, Duration.ofHours(1));
        for (int i = 1; i <= 4; i++) {
            p.onProgress(i, 4, "queries");
        }
        String nl = System.lineSeparator();
        assertEquals(
                "q [#####---------------]  25% 1/4 queries" + nl + "q [####################] 100% 4/4 queries" + nl,
                text());
    }

    @Test
    void aTaskThatStartsOverOpensANewLine() {
        ConsoleProgress p = new ConsoleProgress(out, "x", true, Duration.ZERO);
        p.onProgress(1, 4, "bytes");
        p.onProgress(0, 10, "bytes");
        String nl = System.lineSeparator();
        assertEquals(
                "\r" + ConsoleProgress.line("x", 1, 4, "bytes") + nl + "\r" + ConsoleProgress.line("x", 0, 10, "bytes"),
                text());
    }
}
