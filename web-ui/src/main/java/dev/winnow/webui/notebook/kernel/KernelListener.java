package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Receives a kernel's messages (one per event, in order) — the WebSocket connections of the pages showing the
 * notebook. See {@link Kernel} for the message types. Called on the kernel's threads: must not block (a page's
 * WebSocket is wrapped in a {@link ClientQueue}, which only appends to a bounded queue); a listener that throws is
 * detached.
 */
@FunctionalInterface
public interface KernelListener {
    /**
     * One message.
     *
     * @param message a JSON object with a {@code type} field
     */
    void message(ObjectNode message);
}
