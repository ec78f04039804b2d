package dev.winnow.webui.cli;

import dev.winnow.scripting.ScriptSession;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) while a script runs interrupts the script instead of killing the JVM, so {@code winnow run} can
 * print where it stopped and exit with 130. A second Ctrl-C while the first is being handled falls back to the JVM's
 * default (exit).
 */
final class InterruptOnSigint {
    private static final Signal INT = new Signal("INT");
    private static SignalHandler previous;

    private InterruptOnSigint() {}

    static synchronized void install(ScriptSession session) {
        previous = Signal.handle(INT, sig -> {
            Signal.handle(INT, SignalHandler.SIG_DFL);
            session.interrupt();
        });
    }

    static synchronized void uninstall() {
        if (previous != null) {
            Signal.handle(INT, previous);
            previous = null;
        }
    }
}
