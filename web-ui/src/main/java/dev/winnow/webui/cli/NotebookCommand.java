package dev.winnow.webui.cli;

import dev.winnow.models.WinnowHome;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.NotebookServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code winnow notebook [DIR] [--port P] [--host H]}: serves the notebooks of DIR on 127.0.0.1 and prints the URL
 * with its access token; runs until Ctrl-C.
 */
@Command(
        name = "notebook",
        mixinStandardHelpOptions = true,
        description = {
            "Serves the .ipynb notebooks of DIR (default: the current directory) on http://127.0.0.1 and prints the URL,",
            "with the access token every request needs. Cells run sandboxed: they may write under DIR and read the",
            "--read-only directories, shared/models and shared/data beside the repository, and Winnow's home (the demo's",
            "indexes and converted models; read-only)."
        })
public final class NotebookCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "the notebook directory (default: .)")
    Path directory = Path.of(".");

    @Option(names = "--port", paramLabel = "P", description = "the port (default: 8888; 0 picks a free one)")
    int port = 8888;

    @Option(
            names = "--host",
            paramLabel = "H",
            description =
                    "the address to listen on (default: 127.0.0.1); anything else exposes the server to the network")
    String host = "127.0.0.1";

    @Option(
            names = "--allow-host",
            paramLabel = "NAME",
            description =
                    "a name to accept in the Host header besides loopback names (repeatable; DNS rebinding check)")
    List<String> allowHosts = new ArrayList<>();

    @Option(
            names = "--allow-origin",
            paramLabel = "ORIGIN",
            description = {
                "an origin (http://HOST:PORT) whose pages may call the API and open kernels, besides the server's own",
                "(repeatable; e.g. a reverse proxy's address)"
            })
    List<String> allowOrigins = new ArrayList<>();

    @Option(names = "--read-only", paramLabel = "DIR", description = "a directory cells may read (repeatable)")
    List<Path> readOnly = new ArrayList<>();

    @Option(
            names = "--max-request-mb",
            paramLabel = "MB",
            description = "the largest request body (a notebook save), MiB (default: 32)")
    long maxRequestMb = 32;

    @Option(
            names = "--kernel-idle-timeout",
            paramLabel = "TIME",
            description = {
                "shut down a notebook's kernel after TIME with no page connected and no cell running (default: 1h);",
                "e.g. 30m, 3600s, 1h, 500ms; a bare number is seconds; 0 = never"
            })
    String kernelIdleTimeout = "1h";

    /**
     * Parses a duration such as {@code 30m}, {@code 3600s}, {@code 1h}, {@code 500ms} or a bare number of seconds.
     *
     * @param option the option's name, for the error
     * @param text the value
     * @return the duration, zero or positive
     * @throws IllegalArgumentException naming the option and the value when it is not such a duration
     */
    static Duration parseDuration(String option, String text) {
        var m = Pattern.compile("\\s*(\\d{1,12})\\s*(ms|s|m|h|d)?\\s*").matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " '" + text
                    + "' is not a duration: give a whole number with an optional unit ms, s, m, h or d"
                    + " (e.g. 30m, 3600s; 0 = never)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /**
     * The directories cells may read besides DIR: the {@code --read-only} ones, {@code shared/models} and {@code
     * shared/data} beside the repository, and Winnow's home ({@code $WINNOW_HOME}, by default {@code ~/.cache/winnow}:
     * the demo's indexes and the converted models), so a notebook can open what {@code winnow demo} built. Reading only:
     * the home stays one of the sandbox's protected trees, never writable by a cell (even when DIR contains it).
     *
     * @param readOnly the {@code --read-only} directories
     * @param repoDir the repository ({@code winnow.repo.dir}, set by the launcher), or null
     * @param winnowHome Winnow's home directory
     * @return the roots that exist, in that order, without duplicates
     */
    static List<Path> readableRoots(List<Path> readOnly, String repoDir, Path winnowHome) {
        List<Path> roots = new ArrayList<>(readOnly);
        List<Path> defaults = new ArrayList<>();
        if (repoDir != null) {
            for (String sub : List.of("models", "data")) {
                defaults.add(Path.of(repoDir).resolveSibling("shared").resolve(sub));
            }
        }
        defaults.add(winnowHome);
        for (Path p : defaults) {
            if (Files.isDirectory(p) && !roots.contains(p)) {
                roots.add(p);
            }
        }
        return roots;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("notebook directory " + directory + " does not exist");
        }
        if (maxRequestMb <= 0) {
            throw new IllegalArgumentException("--max-request-mb must be positive, got " + maxRequestMb);
        }
        Duration idle = parseDuration("--kernel-idle-timeout", kernelIdleTimeout);
        List<Path> roots = readableRoots(readOnly, System.getProperty("winnow.repo.dir"), WinnowHome.dir());
        var out = spec.commandLine().getOut();
        // NotebookServer.start logs a warning when the host is not loopback
        // the start-up URL is the one line people need; Javalin's and Jetty's start-up chatter stays below WARN
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        // cells run in kernel processes (child JVMs, each with its own contexts): the server only passes on the sandbox
        ScriptHost scripts = ScriptHost.create(new Sandbox(directory, roots, 0));
        NotebookServer server = NotebookServer.start(
                new NotebookServer.Options(directory, host, port, allowHosts, maxRequestMb << 20, allowOrigins),
                scripts,
                idle);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            scripts.close();
                            stopped.countDown();
                        },
                        "winnow-notebook-stop"));
        out.println("Winnow notebook serving " + directory.toAbsolutePath().normalize());
        out.println("Open: " + server.url());
        out.flush();
        stopped.await();
        return 0;
    }
}
