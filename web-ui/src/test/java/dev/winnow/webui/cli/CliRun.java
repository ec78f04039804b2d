package dev.winnow.webui.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One {@code winnow} command run in-process, as the launcher runs it.
 *
 * @param code the exit code (0 done, 1 failed with a message, 2 bad usage)
 * @param out what it printed on stdout
 * @param err what it printed on stderr
 */
record CliRun(int code, String out, String err) {

    /** Runs {@code winnow ARGS} through {@link WinnowCli#newCommandLine()}. */
    static CliRun of(String... args) {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
