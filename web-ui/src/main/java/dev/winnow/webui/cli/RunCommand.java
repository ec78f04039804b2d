package dev.winnow.webui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptExited;
import dev.winnow.scripting.ScriptFailure;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code winnow run SCRIPT.js|SCRIPT.py [ARGS...]}: runs a script in the scripting sandbox with the {@code winnow}
 * host object. Standard output and error stream as the script writes them; {@code display(...)} prints the plain-text
 * form. Exit codes: 0 when the script ends, 1 when it raises (the traceback goes to standard error), 130 when it is
 * interrupted (Ctrl-C, or {@code --timeout}), and N when it exits with {@code sys.exit(N)} or {@code os._exit(N)} (0 for
 * {@code sys.exit()} and {@code sys.exit(None)}, 1 for {@code sys.exit("message")}), as {@code python SCRIPT} does:
 * nothing is added to the script's own output then.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a JavaScript (.js) or Python (.py) script with the `winnow` host object, sandboxed:",
            "it may read and write under --workspace and read the script's directory and each --read-only directory.",
            "Exit codes: 0 done, 1 script error (traceback on stderr), 130 interrupted (Ctrl-C or --timeout),",
            "N when a Python script calls sys.exit(N) or os._exit(N)."
        })
public final class RunCommand implements Callable<Integer> {
    /** Exit code of an interrupted script (128 + SIGINT, the shell convention). */
    public static final int EXIT_INTERRUPTED = 130;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SCRIPT", description = "the script: a .js or .py file")
    Path script;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "arguments the script reads with winnow.args()")
    List<String> args = new ArrayList<>();

    @Option(
            names = "--workspace",
            paramLabel = "DIR",
            description =
                    "the directory the script may write, and its current directory (default: the current directory)")
    Path workspace = Path.of("");

    @Option(
            names = "--read-only",
            paramLabel = "DIR",
            description =
                    "a directory the script may read (repeatable); the script's own directory and, beside the repository,"
                            + " shared/models and shared/data are readable too")
    List<Path> readOnly = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "interrupt the script after this many seconds")
    Double timeoutSeconds;

    @Option(
            names = "--statement-limit",
            paramLabel = "N",
            description = "stop the script after N guest statements (0: no limit, the default)")
    long statementLimit;

    @Override
    public Integer call() throws IOException {
        Language language = Language.forFile(script);
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("script " + script + " does not exist or is not a file");
        }
        String code = Files.readString(script, StandardCharsets.UTF_8);
        Path ws = workspace.toAbsolutePath();
        List<Path> roots = new ArrayList<>(readOnly);
        Path dir = script.toAbsolutePath().getParent();
        if (dir != null && !dir.startsWith(ws.normalize())) {
            roots.add(dir);
        }
        String repo = System.getProperty("winnow.repo.dir");
        if (repo != null) {
            for (String sub : List.of("models", "data")) {
                Path p = Path.of(repo).resolveSibling("shared").resolve(sub);
                if (Files.isDirectory(p)) {
                    roots.add(p);
                }
            }
        }
        if (timeoutSeconds != null && !(timeoutSeconds > 0)) {
            throw new IllegalArgumentException("--timeout must be a positive number of seconds, got " + timeoutSeconds);
        }
        Duration deadline = timeoutSeconds == null ? null : Duration.ofMillis(Math.round(timeoutSeconds * 1000));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Sandbox sandbox = new Sandbox(ws, roots, statementLimit);
        try (ScriptHost host = ScriptHost.create(sandbox);
                ScriptSession session = host.openSession(args)) {
            InterruptOnSigint.install(session);
            try {
                boolean terminal = System.console() != null && System.console().isTerminal();
                session.run(
                        language,
                        code,
                        script.toString(),
                        new PrintingSink(
                                out, err, terminal ? null : new ProgressThrottle(THROTTLE_NANOS, System::nanoTime)),
                        deadline);
                return 0;
            } catch (ScriptExited exited) {
                return exited.exitStatus(); // the script chose its exit code; its own output already said why
            } catch (ScriptFailure f) {
                out.flush();
                err.println(f.traceback());
                err.flush();
                return f.interrupted() ? EXIT_INTERRUPTED : 1;
            } finally {
                InterruptOnSigint.uninstall();
                out.flush();
                err.flush();
            }
        }
    }

    /** Off a terminal, at most one progress line of a call per this interval (besides its first and last). */
    static final long THROTTLE_NANOS = 3_000_000_000L;

    /**
     * Decides which progress reports become lines when standard error is not a terminal (a log file, CI, a pipe): a
     * call's first report, its last ({@code done == total}), and in between at most one per interval, so a long call
     * writes a line every few seconds instead of several per second.
     */
    static final class ProgressThrottle {
        private final long interval;
        private final LongSupplier clock;
        private final Map<String, Long> last = new HashMap<>();

        /**
         * @param intervalNanos the least time between two lines of one call
         * @param clock the time in nanoseconds
         */
        ProgressThrottle(long intervalNanos, LongSupplier clock) {
            this.interval = intervalNanos;
            this.clock = clock;
        }

        /**
         * Whether a progress report is printed.
         *
         * @param progressJson the report's {@code application/vnd.winnow.progress+json} ({@code id}, {@code done}, {@code
         *     total})
         * @return true for the first and last report of a call and for one at least an interval after its previous line
         */
        synchronized boolean show(String progressJson) {
            JsonNode p;
            try {
                p = JSON.readTree(progressJson);
            } catch (IOException e) {
                return true;
            }
            String id = p.path("id").asText();
            boolean end =
                    p.has("total") && p.path("done").asLong() >= p.path("total").asLong();
            long now = clock.getAsLong();
            Long before = last.get(id);
            if (end) {
                last.remove(id);
                return true;
            }
            if (before != null && now - before < interval) {
                return false;
            }
            last.put(id, now);
            return true;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Prints output as it comes; rich outputs as their plain text; progress on standard error, every report on a
     * terminal, through the throttle otherwise.
     */
    private record PrintingSink(PrintWriter out, PrintWriter err, ProgressThrottle throttle) implements OutputSink {
        @Override
        public void stdout(String text) {
            out.print(text);
            out.flush();
        }

        @Override
        public void stderr(String text) {
            err.print(text);
            err.flush();
        }

        @Override
        public void display(DisplayData data) {
            if (data.mimeBundle().containsKey(ScriptSession.PROGRESS_MIME)) {
                if (throttle != null && !throttle.show(data.mimeBundle().get(ScriptSession.PROGRESS_MIME))) {
                    return;
                }
                err.println(data.plainText()); // progress of long host calls: on stderr, keeping stdout the script's
                err.flush();
                return;
            }
            out.println(data.plainText());
            out.flush();
        }
    }
}
