package dev.winnow.scripting.host;

import dev.winnow.runtime.Cancellation;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.sandbox.SandboxFileSystem;
import java.util.List;
import org.graalvm.polyglot.Value;

/**
 * What the {@code winnow} host object needs from the session it belongs to.
 */
public interface HostEnvironment {

    /**
     * The running cell's cancellation token, for long host calls to poll.
     *
     * @return the session's token
     */
    Cancellation cancellation();

    /**
     * The session's sandbox (paths scripts may pass to the host API are checked against it).
     *
     * @return the sandbox
     */
    Sandbox sandbox();

    /**
     * The session's one view of the sandbox for host calls: guest paths checked and resolved to host paths (built once
     * per session; building it lists the protected trees).
     *
     * @return the file-system view
     */
    SandboxFileSystem paths();

    /**
     * The script's command-line arguments ({@code winnow run SCRIPT ARGS...}); empty in a notebook.
     *
     * @return the arguments
     */
    List<String> arguments();

    /**
     * Renders a guest value and sends it to the running cell's output.
     *
     * @param value the value
     * @param mime the MIME type, or null to choose from the value
     */
    void display(Value value, String mime);

    /**
     * Reports the progress of a long host call as a display bundle of type
     * {@code application/vnd.winnow.progress+json} ({@code {"id", "label", "done", "total"}}, which the notebook draws
     * as a progress bar replacing the earlier bundle of the same id) with a text fallback; throttled to a few per
     * second, the last one ({@code done == total}) always sent.
     *
     * @param id one id per call, e.g. {@code "buildIndex-1"}
     * @param label what is progressing, e.g. {@code "indexing scifact"}
     * @param done units done, 0..total
     * @param total units in all, or -1 when unknown
     */
    void progress(String id, String label, long done, long total);

    /**
     * Raises an error in the running cell's guest language and returns the exception that carries it, to be thrown by
     * the host method so the script sees {@code WinnowError} (catchable with {@code except Exception} in Python and
     * {@code catch} in JavaScript) with the message.
     *
     * @param message the message the script sees
     * @return the exception to throw
     */
    RuntimeException guestError(String message);
}
