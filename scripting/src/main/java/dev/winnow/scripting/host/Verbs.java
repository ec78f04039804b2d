package dev.winnow.scripting.host;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;

/**
 * How every exported host method runs its body: Java exceptions become the guest's {@code WinnowError} with the
 * Winnow message; cancellation and guest exceptions pass through.
 */
final class Verbs {
    private Verbs() {}

    /** A verb's body, which may throw IO errors. */
    @FunctionalInterface
    interface Body<T> {
        T get() throws IOException;
    }

    static <T> T call(HostEnvironment env, Body<T> body) {
        try {
            return body.get();
        } catch (CancellationException | PolyglotException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (env.cancellation().isCancelled()) {
                // the cell was interrupted while the host call ran: whatever it failed with (GraalVM's "Execution got
                // interrupted." from a callback into the guest, a cancelled native call), the cell ends as interrupted
                CancellationException c =
                        new CancellationException(env.cancellation().reason());
                c.initCause(e);
                throw c;
            }
            throw toGuest(env, e);
        }
    }

    /** The guest's {@code WinnowError} for a failed host call, with the Winnow message. */
    private static RuntimeException toGuest(HostEnvironment env, Exception failure) {
        if (failure instanceof AccessDeniedException e) {
            return env.guestError(e.getFile() + ": " + (e.getReason() == null ? "access denied" : e.getReason()));
        }
        if (failure instanceof NoSuchFileException e) {
            return env.guestError("no such file or directory: " + e.getFile());
        }
        String msg = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return env.guestError(msg);
    }

    static void run(HostEnvironment env, Body<?> body) {
        call(env, body);
    }

    /**
     * Reads a guest list (JS array, Python list, or a host list) of strings; guest arrays are not converted to Java
     * lists implicitly under the constrained sandbox.
     */
    static List<String> strings(Value list, String what) {
        if (list == null || !list.hasArrayElements()) {
            throw new IllegalArgumentException(what + ": expected a list of strings");
        }
        List<String> out = new ArrayList<>((int) list.getArraySize());
        for (long i = 0; i < list.getArraySize(); i++) {
            Value v = list.getArrayElement(i);
            if (!v.isString()) {
                throw new IllegalArgumentException(what + ": element " + i + " is not a string");
            }
            out.add(v.asString());
        }
        return out;
    }

    /** Reads a guest list of host objects of one type. */
    static <T> List<T> hostObjects(Value list, Class<T> type, String what) {
        if (list == null || !list.hasArrayElements()) {
            throw new IllegalArgumentException(what + ": expected a list");
        }
        List<T> out = new ArrayList<>((int) list.getArraySize());
        for (long i = 0; i < list.getArraySize(); i++) {
            Value v = list.getArrayElement(i);
            if (!v.isHostObject() || !type.isInstance(v.asHostObject())) {
                throw new IllegalArgumentException(what + ": element " + i + " is not a " + type.getSimpleName());
            }
            out.add(type.cast(v.asHostObject()));
        }
        return out;
    }
}
