package dev.winnow.ranking.collection;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a text file line by line, decoding each line as UTF-8 on its own, so that an invalid byte is reported on the
 * line that holds it (a {@link java.io.BufferedReader} decodes ahead and fails thousands of characters early) and a
 * reader can skip that line. A UTF-8 byte order mark at the start of the file is dropped. Lines end at {@code \n},
 * {@code \r\n} or {@code \r}.
 */
final class Utf8Lines implements Closeable {

    /** One line: its 1-based number, and its text, or the reason it is not valid UTF-8 (then text is null). */
    record Line(long number, String text, String encodingError) {}

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private long number;
    private int pushedBack = -1;

    Utf8Lines(Path file) throws IOException {
        this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(3);
        byte[] bom = in.readNBytes(3);
        if (!(bom.length == 3 && (bom[0] & 0xff) == 0xEF && (bom[1] & 0xff) == 0xBB && (bom[2] & 0xff) == 0xBF)) {
            in.reset();
        }
    }

    private int read() throws IOException {
        if (pushedBack >= 0) {
            int b = pushedBack;
            pushedBack = -1;
            return b;
        }
        return in.read();
    }

    /**
     * Returns the next line.
     *
     * @return the line, or null at the end of the file
     * @throws IOException when reading fails
     */
    Line next() throws IOException {
        buf.reset();
        int b = read();
        if (b < 0) {
            return null;
        }
        while (b >= 0 && b != '\n' && b != '\r') {
            buf.write(b);
            b = read();
        }
        if (b == '\r') {
            int c = read();
            if (c != '\n' && c >= 0) {
                pushedBack = c;
            }
        }
        number++;
        byte[] bytes = buf.toByteArray();
        try {
            return new Line(number, decoder.decode(ByteBuffer.wrap(bytes)).toString(), null);
        } catch (CharacterCodingException e) {
            return new Line(number, null, invalidAt(bytes));
        }
    }

    /** Names the first invalid byte and its column (1-based byte offset in the line). */
    private String invalidAt(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            int len = sequenceLength(bytes, i);
            if (len < 0) {
                return String.format("not valid UTF-8: byte 0x%02X at byte %d of the line", bytes[i] & 0xff, i + 1);
            }
            i += len - 1;
        }
        return "not valid UTF-8";
    }

    /** The length of a valid UTF-8 sequence starting at i, or -1. */
    private int sequenceLength(byte[] b, int i) {
        int first = b[i] & 0xff;
        int n;
        if (first < 0x80) {
            return 1;
        } else if (first >= 0xC2 && first <= 0xDF) {
            n = 2;
        } else if (first >= 0xE0 && first <= 0xEF) {
            n = 3;
        } else if (first >= 0xF0 && first <= 0xF4) {
            n = 4;
        } else {
            return -1;
        }
        if (i + n > b.length) {
            return -1;
        }
        try {
            decoder.decode(ByteBuffer.wrap(b, i, n));
        } catch (CharacterCodingException e) {
            return -1;
        }
        return n;
    }

    /**
     * Reads a whole file as UTF-8 (BOM dropped, lines joined with {@code \n}), failing on the first invalid line.
     *
     * @param file the file
     * @return its text
     * @throws MalformedInputException naming the line of the first invalid byte
     * @throws IOException when reading fails
     */
    /** A non-blank line of a file: its number (from 1) and text. */
    @FunctionalInterface
    interface TextLine {
        void accept(long number, String text) throws IOException;
    }

    /**
     * Reads a file's lines in order: a line that is not valid UTF-8 goes to {@code report.malformed} (which throws or
     * counts it, as the report was set up), blank lines are skipped, every other line goes to {@code handler}.
     */
    static void forEachNonBlank(Path file, ReadReport report, TextLine handler) throws IOException {
        try (Utf8Lines r = new Utf8Lines(file)) {
            Line l;
            while ((l = r.next()) != null) {
                if (l.encodingError() != null) {
                    report.malformed(file, l.number(), l.encodingError());
                } else if (!l.text().isBlank()) {
                    handler.accept(l.number(), l.text());
                }
            }
        }
    }

    static String readAll(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Utf8Lines r = new Utf8Lines(file)) {
            Line l;
            while ((l = r.next()) != null) {
                if (l.encodingError() != null) {
                    throw new MalformedInputException(file, l.number(), l.encodingError());
                }
                sb.append(l.text()).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
