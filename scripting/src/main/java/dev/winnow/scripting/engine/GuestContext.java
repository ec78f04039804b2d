package dev.winnow.scripting.engine;

import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.sandbox.GuestFileSystem;
import dev.winnow.scripting.sandbox.HostPaths;
import dev.winnow.scripting.sandbox.SandboxFileSystem;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

/**
 * One sandboxed polyglot context of one language, with Winnow's prelude evaluated and its helper functions at hand.
 *
 * <p>Configuration: the shared engine; {@code SandboxPolicy.CONSTRAINED}; host access only to members annotated
 * {@code @HostAccess.Export}, plus buffers (typed arrays over off-heap tensors), arrays, lists and maps that host
 * methods return; no polyglot access to other languages; no host class lookup, native access, processes, threads or
 * environment; file IO only through {@link GuestFileSystem} (the rules of {@link SandboxFileSystem}, plus
 * read-only access to the engine's internal resources); the sandbox's statement limit, counted on cell sources
 * only (not the prelude).
 */
public final class GuestContext implements AutoCloseable {
    /** The source name of the preludes, hidden from tracebacks. */
    public static final String PRELUDE_NAME = "<winnow-prelude>";

    /** The host access of scripts: exported members only, with buffers, arrays, lists and maps readable. */
    public static final HostAccess HOST_ACCESS = HostAccess.newBuilder(HostAccess.CONSTRAINED)
            .allowBufferAccess(true)
            .allowArrayAccess(true)
            .allowListAccess(true)
            .allowMapAccess(true)
            .allowIterableAccess(true)
            .allowIteratorAccess(true)
            .build();

    /**
     * The sources whose statements count towards the statement limit: code given as text (cells), not files (library
     * modules) nor the prelude. One instance: an engine accepts a single predicate for all its contexts.
     */
    private static final Predicate<Source> CELL_CODE =
            s -> s.getPath() == null && !s.isInternal() && !PRELUDE_NAME.equals(s.getName());

    private final Language language;
    private final GuestFileSystem files;
    private final Context context;
    private final GuestOutput out = new GuestOutput(false);
    private final GuestOutput err = new GuestOutput(true);
    private final Value render;
    private final Value raise;
    private final Value attach;
    private final Value stack; // JS only
    private final Value register; // Python only
    private final Value flush; // Python only
    private final Value describe; // Python only
    private volatile boolean broken;
    private volatile boolean prewarmed;

    /**
     * Builds and initialises a context (GraalPy: about 6 s for the first context of the JVM, 0.2-0.4 s afterwards;
     * GraalJS: about 0.1 s).
     *
     * @param language the language
     * @param sandbox what scripts may touch
     * @param hostPaths how messages name host folders: the sandbox's {@link Sandbox#hostPaths()}, built once by the
     *     caller (asked for when a message is made, not here)
     */
    public GuestContext(Language language, Sandbox sandbox, Supplier<HostPaths> hostPaths) {
        this.language = language;
        this.files = new GuestFileSystem(sandbox, hostPaths);
        Context.Builder b = Context.newBuilder(language.id())
                .engine(SharedEngine.get())
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(out)
                .err(err)
                .in(InputStream.nullInputStream())
                .allowHostAccess(HOST_ACCESS)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .allowIO(IOAccess.newBuilder().fileSystem(files).build())
                .currentWorkingDirectory(sandbox.workspace());
        if (sandbox.statementLimit() > 0) {
            b.resourceLimits(ResourceLimits.newBuilder()
                    .statementLimit(sandbox.statementLimit(), CELL_CODE)
                    .build());
        }
        this.context = b.build();
        try {
            Value helpers;
            String code = prelude(language);
            Source src = Source.newBuilder(language.id(), code, PRELUDE_NAME).buildLiteral();
            if (language == Language.JS) {
                helpers = context.eval(src);
                render = helpers.getMember("render");
                raise = helpers.getMember("raise");
                attach = helpers.getMember("attach");
                stack = helpers.getMember("stack");
                register = null;
                flush = null;
                describe = null;
            } else {
                context.eval(src);
                Value bindings = context.getBindings(language.id());
                helpers = bindings.getMember("__winnow_prelude").execute();
                bindings.removeMember("__winnow_prelude");
                render = helpers.getArrayElement(0);
                raise = helpers.getArrayElement(1);
                attach = helpers.getArrayElement(2);
                register = helpers.getArrayElement(3);
                flush = helpers.getArrayElement(4);
                describe = helpers.getArrayElement(5);
                stack = null;
            }
        } catch (RuntimeException e) {
            context.close(true);
            throw e;
        }
    }

    private static String prelude(Language language) {
        String name = language == Language.JS ? "prelude.js" : "prelude.py";
        try (InputStream in = GuestContext.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("Winnow prelude resource " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The context's language.
     *
     * @return JS or PYTHON
     */
    public Language language() {
        return language;
    }

    /**
     * The polyglot context.
     *
     * @return the context
     */
    public Context context() {
        return context;
    }

    /**
     * Installs the session's display bridge and {@code winnow} object.
     *
     * @param bridge the object behind {@code display(...)}
     * @param winnow the {@code winnow} host object
     * @param hostTypes the classes of host objects whose Python {@code str()} and {@code repr()} are their exported
     *     {@code toString()}, the {@code winnow} object's class first (it carries {@code winnow.WinnowError} in Python);
     *     JavaScript ignores them (its {@code String(x)} already calls an exported {@code toString})
     */
    public void attach(Object bridge, Object winnow, Class<?>... hostTypes) {
        Object[] args = new Object[2 + hostTypes.length];
        args[0] = bridge;
        args[1] = winnow;
        System.arraycopy(hostTypes, 0, args, 2, hostTypes.length);
        attach.execute(args);
    }

    /**
     * Points standard output and error at the sink of the cell that starts, or detaches them.
     *
     * @param sink the cell's sink, or {@code null} when the cell has ended
     */
    public void output(OutputSink sink) {
        out.attach(sink);
        err.attach(sink);
    }

    /**
     * The prelude's renderer: a value to its MIME bundle in the guest's own conventions (Python {@code repr} and
     * {@code _repr_*_} methods, JavaScript JSON for plain objects).
     *
     * @return a guest function {@code value -> {mime: text} | null}
     */
    public Value renderer() {
        return render;
    }

    /**
     * The prelude's error raiser: throws a guest error of the given type and message ({@code WinnowError} in Python, an
     * {@code Error} whose name is the type in JavaScript).
     *
     * @return a guest function {@code (type, message) -> never}
     */
    public Value raiser() {
        return raise;
    }

    /**
     * Makes a cell's code known to Python's {@code linecache} so tracebacks show its lines; does nothing for JS.
     *
     * @param name the cell's source name
     * @param code the cell's code
     */
    public void register(String name, String code) {
        if (register != null) {
            register.execute(name, code);
        }
    }

    /** Flushes Python's {@code sys.stdout}/{@code sys.stderr} buffers; does nothing for JS. */
    public void flush() {
        if (flush != null && !broken) {
            flush.execute();
        }
    }

    /**
     * Python: describes an exception as {@code (type, message, file, line, traceback)}, given the cell's source name
     * (whose innermost frame gives file and line).
     *
     * @return the guest function, or {@code null} for JS
     */
    public Value describer() {
        return describe;
    }

    /**
     * JavaScript: an error's {@code stack} without prelude frames.
     *
     * @return the guest function, or {@code null} for Python
     */
    public Value stackFormatter() {
        return stack;
    }

    /**
     * The context's file system: why it refused a path an error names, and how host folders are named to scripts.
     *
     * @return the guest file system
     */
    public GuestFileSystem files() {
        return files;
    }

    /** Marks the context as built ahead of need: a host's spare that was ready when a session took it. */
    public void markPrewarmed() {
        prewarmed = true;
    }

    /**
     * Whether the context was a pre-warmed spare, ready before the session asked for it (see {@link #markPrewarmed()}).
     *
     * @return {@code true} for a spare that was ready, {@code false} for a context built on demand
     */
    public boolean prewarmed() {
        return prewarmed;
    }

    /** Marks the context unusable (cancelled, or stopped by the statement limit); the session builds a new one. */
    public void markBroken() {
        broken = true;
    }

    /**
     * Whether the context can no longer run cells.
     *
     * @return {@code true} after {@link #markBroken()}
     */
    public boolean broken() {
        return broken;
    }

    @Override
    public void close() {
        context.close(true);
    }
}
