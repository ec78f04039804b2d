package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python sees Winnow's failures as {@code WinnowError}: its name, its traceback line, {@code winnow.WinnowError}. */
class WinnowErrorTest {
    @TempDir
    Path workspace;

    @Test
    void pythonErrorsAreNamedWinnowErrorAndCatchableAsWinnowWinnowError() throws Exception {
        try (ScriptHost host = ScriptHost.create(Sandbox.of(workspace));
                ScriptSession session = host.openSession()) {
            RecordingSink sink = new RecordingSink();
            session.run(
                    Language.PYTHON,
                    "try:\n    winnow.collection('no-such-collection')\nexcept winnow.WinnowError as e:\n"
                            + "    print(type(e).__name__, type(e).__qualname__, type(e) is WinnowError, isinstance(e, Exception),"
                            + " repr(e).startswith('WinnowError('))\n",
                    "catch.py",
                    sink);
            assertEquals("WinnowError WinnowError True True True\n", sink.out.toString());
            ScriptFailure f = assertThrows(
                    ScriptFailure.class,
                    () -> session.run(
                            Language.PYTHON,
                            "x = 1\nwinnow.collection('no-such-collection')\n",
                            "fail.py",
                            new RecordingSink()));
            assertEquals("WinnowError", f.errorType());
            String[] lines = f.traceback().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("WinnowError: ") && last.contains("no-such-collection"), f.traceback());
            assertTrue(!f.traceback().contains("<locals>"), f.traceback());
            assertEquals(2, f.line(), f.traceback());
        }
    }
}
