package dev.winnow.scripting.engine;

import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.OutputSink;
import java.util.function.Supplier;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * The host side of the guests' global {@code display(value, mime?)}: renders the value in the running cell's context
 * and sends the bundle to the running cell's sink.
 */
public final class DisplayBridge {
    private final Supplier<GuestContext> running;
    private final Supplier<OutputSink> sink;

    /**
     * Creates the bridge of a session.
     *
     * @param running the context of the cell that is running (null between cells)
     * @param sink the sink of that cell
     */
    public DisplayBridge(Supplier<GuestContext> running, Supplier<OutputSink> sink) {
        this.running = running;
        this.sink = sink;
    }

    /**
     * Shows a value.
     *
     * @param value the guest value
     * @param mime the MIME type to show it as, or {@code null} to choose from the value
     * @throws IllegalStateException outside a running cell
     */
    @HostAccess.Export
    public void display(Value value, String mime) {
        GuestContext g = running.get();
        if (g == null) {
            throw new IllegalStateException("display() called outside a running cell");
        }
        show(Renderer.render(g, value, mime));
    }

    /**
     * Shows base64 data of a binary MIME type (Python's {@code display(bytes, mime)} encodes before calling this).
     *
     * @param base64 the data in base64
     * @param mime the MIME type, e.g. {@code image/png}
     */
    @HostAccess.Export
    public void displayBase64(String base64, String mime) {
        show(DisplayData.of(mime, base64, "<" + mime + ">"));
    }

    /**
     * Sends a bundle to the running cell's sink.
     *
     * @param data the bundle; {@code null} shows nothing
     */
    public void show(DisplayData data) {
        OutputSink s = sink.get();
        if (data != null && s != null) {
            s.display(data);
        }
    }
}
