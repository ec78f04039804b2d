package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GenerateCommandTest {
    static final String MODEL = Path.of(System.getProperty("winnow.shared.dir"), "models", "stories260K.gguf")
            .toString();

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void greedyThirtyTokensPrintTheReferenceText() {
        Result r = run("generate", "--model", MODEL, "--prompt", "Once upon a time", "-n", "30");
        assertEquals(0, r.exit(), r.err());
        assertEquals(
                "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,"
                        + System.lineSeparator(),
                r.out());
    }

    @Test
    void oneThreadGivesTheSameText() {
        Result r = run("generate", "--model", MODEL, "--prompt", "Once upon a time", "-n", "30", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily."), r.out());
    }

    @Test
    void missingModelIsAClearError() {
        Result r = run("generate", "--model", "/nonexistent/model.gguf", "--prompt", "x");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("model file /nonexistent/model.gguf: does not exist"), r.err());
    }
}
