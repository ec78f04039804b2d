package dev.winnow.webui.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code winnow} command line: the entry point that {@code ./winnow} starts.
 *
 * <p>Each verb is its own class in this package, registered in {@code subcommands} below; {@code winnow help VERB} or
 * {@code winnow VERB --help} prints its options. Exit codes: 0 success, 1 a failure reported with a message, 2 bad
 * usage (picocli's convention).
 */
@Command(
        name = "winnow",
        mixinStandardHelpOptions = true,
        versionProvider = WinnowCli.Version.class,
        description = "Local language models and in-context ranking over Lucene, on the JVM.",
        subcommands = {
            CommandLine.HelpCommand.class,
            DemoCommand.class,
            GenerateCommand.class,
            ModelsCommand.class,
            NotebookCommand.class,
            RunCommand.class,
            IndexCommand.class,
            SearchCommand.class,
            EvalCommand.class,
            RankCommand.class,
            ServeCommand.class,
            LabCommand.class,
        })
public final class WinnowCli implements Runnable {

    /**
     * Lucene announces its vectorization provider through java.util.logging at INFO on every start ("Java vector
     * incubator API enabled ..."): two lines of noise before each command's output. Held here so the level stays set
     * (JUL keeps loggers weakly); its warnings still print.
     */
    private static final Logger LUCENE_VECTORIZATION = Logger.getLogger("org.apache.lucene.internal.vectorization");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments after {@code winnow}
     */
    public static void main(String[] args) {
        LUCENE_VECTORIZATION.setLevel(Level.WARNING);
        NativeLogs.configure(false); // llama.cpp's own lines: to $WINNOW_HOME/logs/llama.log, not between results
        CommandLine cli = newCommandLine();
        int code = cli.execute(args);
        NativeLogs.reportWarnings(cli.getErr());
        System.exit(code);
    }

    /**
     * Builds the picocli command line with Winnow's error handling: an exception from a verb prints its message (and
     * the stack trace only with {@code WINNOW_DEBUG=1}) and exits with 1.
     *
     * @return a command line ready to {@code execute}
     */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new WinnowCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("winnow: " + ex.getMessage());
            if ("1".equals(System.getenv("WINNOW_DEBUG"))) {
                ex.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli;
    }

    /**
     * Reports the version the build wrote into {@code version.properties} (Maven resource filtering of {@code
     * web-ui/src/main/filtered-resources}): Winnow's version, the build time, and the node-llama-cpp release whose
     * llama.cpp binaries are loaded.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = WinnowCli.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IOException(
                            "version.properties is missing from the build (web-ui/src/main/filtered-resources)");
                }
                p.load(in);
            }
            return new String[] {
                "winnow " + p.getProperty("version") + " (built " + p.getProperty("built") + ")",
                "llama.cpp binaries of node-llama-cpp " + p.getProperty("llama.cpp"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
