package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code winnow run}: output, arguments, exit codes 0, 1 (with the traceback) and 130. */
class RunCommandTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private Result run(String... args) {
    CommandLine cli = WinnowCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void jsScriptPrintsArgumentsAndWritesItsWorkspace() throws Exception {
    Path script = Files.writeString(dir.resolve("hello.js"), "console.log('args', winnow.args().join(','));\ndisplay({n: winnow.args().length});\n");
    Result r = run("run", "--workspace", dir.toString(), script.toString(), "a", "b c");
    assertEquals(0, r.code(), r.err());
    assertEquals("args a,b c\n{\n  \"n\": 2\n}\n", r.out());
  }

  @Test
  void pythonErrorExitsWithOneAndTheTraceback() throws Exception {
    Path script = Files.writeString(dir.resolve("bad.py"), "print('before')\n\ndef f():\n    return 1 / 0\n\nf()\n");
    Result r = run("run", "--workspace", dir.toString(), script.toString());
    assertEquals(1, r.code());
    assertEquals("before\n", r.out());
    assertTrue(r.err().contains("Traceback (most recent call last):"), r.err());
    assertTrue(r.err().contains("File \"" + script + "\", line 6, in <module>"), r.err());
    assertTrue(r.err().contains("ZeroDivisionError: division by zero"), r.err());
  }

  @Test
  void timeoutInterruptsWith130() throws Exception {
    Path script = Files.writeString(dir.resolve("spin.js"), "while (true) {}\n");
    Result r = run("run", "--workspace", dir.toString(), "--timeout", "0.5", script.toString());
    assertEquals(RunCommand.EXIT_INTERRUPTED, r.code());
    assertTrue(r.err().contains("deadline of 500 ms exceeded"), r.err());
  }

  @Test
  void unknownExtensionIsRefused() throws Exception {
    Path script = Files.writeString(dir.resolve("x.rb"), "puts 1\n");
    Result r = run("run", script.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("must end in .js or .py"), r.err());
  }
}
