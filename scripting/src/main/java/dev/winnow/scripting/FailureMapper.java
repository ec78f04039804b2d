package dev.winnow.scripting;

import dev.winnow.scripting.engine.GuestContext;
import dev.winnow.scripting.sandbox.HostPaths;
import java.util.concurrent.CancellationException;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;

/**
 * Maps a {@link PolyglotException} that ended a cell to the {@link ScriptFailure} the caller sees: the one place where
 * a cell's failure gets its text. Two rules hold for every failure it builds: a path the sandbox refused is reported
 * with the sandbox's reason (GraalPy's {@code PermissionError} and GraalJS's {@code load} errors drop it), and the
 * message and traceback name host folders outside the workspace by placeholders ({@code <graalpy-home>}, {@code
 * <winnow-home>}, see {@link dev.winnow.scripting.sandbox.HostPaths}), never by absolute path.
 */
final class FailureMapper {
    private FailureMapper() {}

    static ScriptFailure map(
            GuestContext g, PolyglotException e, String sourceName, String interruptReason, long statementLimit) {
        Language lang = g.language();
        SourceSection where = innermostScriptFrame(e, sourceName);
        String file = where == null ? null : where.getSource().getName();
        int line = where == null ? -1 : where.getStartLine();
        boolean hostCancelled = e.isHostException() && e.asHostException() instanceof CancellationException;
        if (e.isInterrupted() || hostCancelled || (e.isCancelled() && interruptReason != null)) {
            if (e.isCancelled()) {
                g.markBroken();
            }
            String why = interruptReason != null ? interruptReason : "interrupted";
            return new ScriptInterrupted(lang, why, file, line, "Interrupted: " + why + at(file, line));
        }
        if (e.isExit()) {
            // sys.exit / os._exit: the guest context has exited (GraalVM never exits the JVM under the CONSTRAINED
            // policy)
            g.markBroken();
            return new ScriptExited(lang, e.getExitStatus(), file, line);
        }
        boolean limitHit = e.isResourceExhausted();
        if (e.isInternalError()) {
            // the context's state is unknown after an internal error: rebuild it. GraalPy 25.0.2 reports a statement
            // limit
            // as an internal error (IllegalMonitorStateException while releasing its GIL); the next evaluation tells.
            g.markBroken();
            if (statementLimit > 0) {
                try {
                    g.context().eval(lang.id(), "1");
                } catch (PolyglotException probe) {
                    limitHit = probe.isResourceExhausted()
                            || (probe.getMessage() != null && probe.getMessage().startsWith("Statement count limit"));
                } catch (IllegalStateException closed) {
                    // closed meanwhile: not a limit
                }
            }
        }
        if (limitHit || e.isCancelled()) {
            g.markBroken();
            String msg = limitHit && statementLimit > 0
                    ? "the cell exceeded the statement limit of "
                            + statementLimit
                            + " statements; the "
                            + lang.displayName()
                            + " context was reset (its variables are gone)"
                    : "the " + lang.displayName() + " context was cancelled: " + e.getMessage();
            return failure(g, lang, "ResourceLimit", msg, file, line, "ResourceLimit: " + msg + at(file, line), true);
        }
        if (e.isHostException()) {
            Throwable h = e.asHostException();
            String msg = h.getMessage() == null ? h.getClass().getName() : h.getMessage();
            String hostType = h.getClass().getSimpleName();
            if (h instanceof SecurityException
                    || h instanceof IllegalStateException && msg.endsWith(" is not allowed.")) {
                // GraalVM's own refusals (process creation, threads): a sandbox error, not a Java class name
                hostType = "SandboxError";
                msg = "not available to scripts: " + msg.replaceAll(",? to enable it.*$", "");
            }
            return failure(g, lang, hostType, msg, file, line, hostType + ": " + msg + at(file, line), false);
        }
        Value exc = e.getGuestObject();
        if (lang == Language.PYTHON && exc != null && !exc.isNull() && g.describer() != null && !g.broken()) {
            try {
                Value d = g.describer().execute(exc, sourceName);
                String pyFile = d.getArrayElement(2).isNull()
                        ? file
                        : d.getArrayElement(2).asString();
                int pyLine = d.getArrayElement(3).asInt();
                return failure(
                        g,
                        lang,
                        d.getArrayElement(0).asString(),
                        d.getArrayElement(1).asString(),
                        pyFile,
                        pyLine > 0 ? pyLine : line,
                        d.getArrayElement(4).asString().stripTrailing(),
                        false);
            } catch (PolyglotException | IllegalStateException | ClassCastException describeFailed) {
                // fall through to the language-neutral form
            }
        }
        String type = "Error";
        String message = e.getMessage() == null ? "" : e.getMessage();
        String traceback = null;
        if (lang == Language.JS && exc != null && exc.hasMembers() && !g.broken()) {
            try {
                Value name = exc.getMember("name");
                Value msg = exc.getMember("message");
                if (name != null && name.isString() && msg != null && msg.isString()) {
                    type = name.asString();
                    message = msg.asString();
                    Value stack = g.stackFormatter().execute(exc);
                    traceback = stack.isString() ? stack.asString() : null;
                }
            } catch (PolyglotException | IllegalStateException | ClassCastException stackFailed) {
                // keep the polyglot message
            }
        } else {
            int colon = message.indexOf(": ");
            if (colon > 0 && message.substring(0, colon).matches("[A-Za-z_][A-Za-z0-9_.]*")) {
                type = message.substring(0, colon);
                message = message.substring(colon + 2);
            }
        }
        if (type.startsWith("java.") && message.contains("not allowed")) {
            // GraalVM's own refusals reaching the guest as internal errors (os.system, threading): no Java class name
            type = "SandboxError";
            message = "not available to scripts: " + message.replaceAll(",? to enable it.*$", "");
        }
        if (message.contains("UnsupportedPosixFeatureException: ")) {
            // GraalPy's emulated POSIX layer refusing a call (sockets, getaddrinfo): name the call, not a Java class
            type = "SandboxError";
            message = "not available to scripts: "
                    + message.substring(message.indexOf("UnsupportedPosixFeatureException: ") + 34)
                    + " (no network, processes or native code in the sandbox)";
        }
        if (traceback == null) {
            traceback = formatFrames(e) + type + ": " + message;
        }
        return failure(g, lang, type, message, file, line, traceback, false);
    }

    /**
     * Builds a failure with the sandbox's reason added to a refused path's error and host folders replaced by
     * placeholders in the message and the traceback.
     */
    private static ScriptFailure failure(
            GuestContext g,
            Language lang,
            String type,
            String message,
            String file,
            int line,
            String traceback,
            boolean resourceExhausted) {
        String reason = g.files().refusal(message);
        if (reason != null && !message.contains(reason)) {
            String longer = message + " (" + reason + ")";
            int at = traceback.lastIndexOf(message);
            traceback = at >= 0
                    ? traceback.substring(0, at) + longer + traceback.substring(at + message.length())
                    : traceback + " (" + reason + ")";
            message = longer;
        }
        HostPaths paths = g.files().hostPaths();
        return new ScriptFailure(
                lang, type, paths.scrub(message), file, line, paths.scrub(traceback), resourceExhausted);
    }

    private static String at(String file, int line) {
        return file == null ? "" : " (at " + file + (line > 0 ? ":" + line : "") + ")";
    }

    /**
     * The innermost guest frame of the cell's own source, else the innermost one that is not the prelude's or an
     * internal source's.
     */
    static SourceSection innermostScriptFrame(PolyglotException e, String sourceName) {
        if (e.isSyntaxError() && e.getSourceLocation() != null) {
            return e.getSourceLocation();
        }
        SourceSection other = null;
        for (PolyglotException.StackFrame f : e.getPolyglotStackTrace()) {
            SourceSection s = f.getSourceLocation();
            if (f.isGuestFrame() && s != null && isScript(s)) {
                if (s.getSource().getName().equals(sourceName)) {
                    return s;
                }
                if (other == null) {
                    other = s;
                }
            }
        }
        if (other != null) {
            return other;
        }
        SourceSection s = e.getSourceLocation();
        return s != null && isScript(s) ? s : null;
    }

    private static boolean isScript(SourceSection s) {
        return !s.getSource().isInternal()
                && !GuestContext.PRELUDE_NAME.equals(s.getSource().getName());
    }

    private static String formatFrames(PolyglotException e) {
        StringBuilder b = new StringBuilder();
        for (PolyglotException.StackFrame f : e.getPolyglotStackTrace()) {
            SourceSection s = f.getSourceLocation();
            if (f.isGuestFrame() && s != null && isScript(s)) {
                b.append("    at ")
                        .append(f.getRootName() == null || f.getRootName().isEmpty() ? "<cell>" : f.getRootName())
                        .append(" (")
                        .append(s.getSource().getName())
                        .append(':')
                        .append(s.getStartLine())
                        .append(")\n");
            }
        }
        return b.toString();
    }
}
