package dev.winnow.runtime.generate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns the byte pieces of generated tokens into text without ever splitting a character: a UTF-8 sequence cut
 * across tokens (emoji, CJK, byte-fallback tokens such as {@code <0xF0>}) is held back until its last byte arrives.
 *
 * <p>Bytes that can never form a valid character (a stray continuation byte, an invalid lead byte, a sequence broken
 * by a new lead byte) become U+FFFD, one per byte, as soon as they are known to be invalid. Not thread-safe.
 */
public final class Utf8StreamDecoder {
    private final byte[] pending = new byte[4];
    private int pendingLen;
    private int pendingNeed;

    /**
     * Feeds bytes and returns the text of every character they complete.
     *
     * @param bytes a token's piece (any length, may be empty)
     * @return the completed text, possibly empty; never contains a character cut in half
     */
    public String feed(byte[] bytes) {
        return feed(bytes, 0, bytes.length);
    }

    /**
     * Feeds {@code len} bytes of {@code bytes} from {@code off}.
     *
     * @param bytes source array
     * @param off first byte
     * @param len number of bytes
     * @return the completed text, possibly empty
     */
    public String feed(byte[] bytes, int off, int len) {
        StringBuilder out = new StringBuilder(len);
        ByteArrayOutputStream run = new ByteArrayOutputStream(len);
        for (int i = off; i < off + len; i++) {
            int b = bytes[i] & 0xff;
            if (pendingLen > 0) {
                if ((b & 0xc0) == 0x80 && continuationAllowed(b)) {
                    pending[pendingLen++] = (byte) b;
                    if (pendingLen == pendingNeed) {
                        run.write(pending, 0, pendingLen);
                        pendingLen = 0;
                    }
                    continue;
                }
                // the pending sequence is broken: its bytes are invalid
                flushRun(run, out);
                for (int k = 0; k < pendingLen; k++) {
                    out.append('\uFFFD');
                }
                pendingLen = 0;
            }
            if (b < 0x80) {
                run.write(b);
            } else {
                int need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
                if (need == 0) {
                    flushRun(run, out);
                    out.append('\uFFFD');
                } else {
                    pending[0] = (byte) b;
                    pendingLen = 1;
                    pendingNeed = need;
                }
            }
        }
        flushRun(run, out);
        return out.toString();
    }

    /** The second byte of E0, ED, F0 and F4 sequences has a narrower range (no overlongs, surrogates, > U+10FFFF). */
    private boolean continuationAllowed(int b) {
        if (pendingLen != 1) {
            return true;
        }
        int lead = pending[0] & 0xff;
        return switch (lead) {
            case 0xe0 -> b >= 0xa0;
            case 0xed -> b <= 0x9f;
            case 0xf0 -> b >= 0x90;
            case 0xf4 -> b <= 0x8f;
            default -> true;
        };
    }

    private static void flushRun(ByteArrayOutputStream run, StringBuilder out) {
        if (run.size() > 0) {
            out.append(run.toString(StandardCharsets.UTF_8));
            run.reset();
        }
    }

    /**
     * @return true when bytes of an unfinished character are held back
     */
    public boolean hasPending() {
        return pendingLen > 0;
    }

    /**
     * Ends the stream: an unfinished character left over becomes one U+FFFD per byte.
     *
     * @return the remaining text (empty when nothing was pending)
     */
    public String finish() {
        String s = "\uFFFD".repeat(pendingLen);
        pendingLen = 0;
        return s;
    }
}
