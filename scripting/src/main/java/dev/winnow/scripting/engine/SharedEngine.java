package dev.winnow.scripting.engine;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.SandboxPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one polyglot {@link Engine} of the JVM, shared by every context so that parsed code, compiled code and language
 * initialisation caches are reused (GraalPy's second context starts in a fraction of the first one's time).
 *
 * <p>Built lazily under {@code SandboxPolicy.CONSTRAINED}. When the JVM runs with the Graal compiler as its JVMCI
 * compiler ({@code -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path=<compiler jars>}, as the
 * {@code ./winnow} launcher does when {@code web-ui/target/jvmci/} exists) guest code is compiled to machine code;
 * otherwise it is interpreted, which this class reports once in one log line (GraalVM's own per-context warning is
 * switched off with {@code engine.WarnInterpreterOnly=false}).
 */
public final class SharedEngine {
    private static final Logger LOG = LoggerFactory.getLogger(SharedEngine.class);
    private static final String INTERPRETED = "Interpreted";
    private static volatile Engine engine;

    private SharedEngine() {}

    /**
     * The shared engine, built on first use (about a second).
     *
     * @return the engine for JavaScript and Python
     */
    public static Engine get() {
        Engine e = engine;
        if (e == null) {
            synchronized (SharedEngine.class) {
                e = engine;
                if (e == null) {
                    e = build();
                    engine = e;
                }
            }
        }
        return e;
    }

    /**
     * Whether guest code is compiled by the optimizing Truffle runtime.
     *
     * @return {@code false} when the engine only interprets
     */
    public static boolean optimizing() {
        return !INTERPRETED.equals(get().getImplementationName());
    }

    private static Engine build() {
        Engine e = Engine.newBuilder("js", "python")
                .sandbox(SandboxPolicy.CONSTRAINED)
                .option("engine.WarnInterpreterOnly", "false")
                .out(new LogStream(false))
                .err(new LogStream(true))
                .build();
        if (INTERPRETED.equals(e.getImplementationName())) {
            LOG.info(
                    "GraalVM scripts run interpreted (slower): start the JVM with -XX:+UnlockExperimentalVMOptions"
                            + " -XX:+EnableJVMCI --upgrade-module-path=<Graal compiler jars>, as ./winnow does, to compile them");
        } else {
            LOG.debug("GraalVM scripts are compiled by the optimizing Truffle runtime ({})", e.getImplementationName());
        }
        return e;
    }

    /** Engine-level messages (not a script's output, which goes to its cell's sink) go to the log. */
    private static final class LogStream extends OutputStream {
        private final boolean error;
        private final StringBuilder line = new StringBuilder();

        LogStream(boolean error) {
            this.error = error;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            line.append(new String(b, off, len, StandardCharsets.UTF_8));
            int nl;
            while ((nl = line.indexOf("\n")) >= 0) {
                String text = line.substring(0, nl);
                line.delete(0, nl + 1);
                if (error) {
                    LOG.warn("{}", text);
                } else {
                    LOG.info("{}", text);
                }
            }
        }
    }
}
