package dev.winnow.scripting.engine;

import dev.winnow.scripting.OutputSink;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guest context's standard output or error: decodes the bytes the script writes as UTF-8 (keeping an incomplete
 * character for the next write) and forwards the text at once to the sink of the cell that is running. Text written
 * while no cell runs is logged.
 */
public final class GuestOutput extends OutputStream {
    private static final Logger LOG = LoggerFactory.getLogger(GuestOutput.class);
    private final boolean error;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(8);
    private volatile OutputSink sink;

    /**
     * Creates the stream.
     *
     * @param error {@code true} for standard error, {@code false} for standard output
     */
    public GuestOutput(boolean error) {
        this.error = error;
    }

    /**
     * Sets the sink of the cell that starts now ({@code null} when it ends).
     *
     * @param sink the running cell's sink, or null
     */
    public void attach(OutputSink sink) {
        this.sink = sink;
    }

    @Override
    public synchronized void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        if (len <= 0) {
            return;
        }
        ByteBuffer in;
        if (pending.position() > 0) {
            in = ByteBuffer.allocate(pending.position() + len);
            pending.flip();
            in.put(pending).put(b, off, len).flip();
            pending.clear();
        } else {
            in = ByteBuffer.wrap(b, off, len);
        }
        CharBuffer out = CharBuffer.allocate(len + 8);
        decoder.decode(in, out, false);
        pending.put(in); // at most 3 bytes of an incomplete character
        out.flip();
        if (out.hasRemaining()) {
            emit(out.toString());
        }
    }

    private void emit(String text) {
        OutputSink s = sink;
        if (s == null) {
            LOG.info("script {} outside a cell: {}", error ? "stderr" : "stdout", text.strip());
            return;
        }
        try {
            if (error) {
                s.stderr(text);
            } else {
                s.stdout(text);
            }
        } catch (RuntimeException e) {
            LOG.warn("output sink failed; output dropped", e);
        }
    }
}
